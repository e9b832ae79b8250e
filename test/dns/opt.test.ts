/** Tests for src/dns/opt.ts: writeOpt and edeTextBytes, decoded with dns2. */

import dns2 from 'dns2';
import { describe, expect, it } from 'vitest';
import { EDE } from '../../src/dns/constants.js';
import { EDE_TEXT_MAX_BYTES, OPT_FIXED_LENGTH, edeTextBytes, optLength, writeOpt } from '../../src/dns/opt.js';

const { Packet } = dns2;

/** A response header (qd 0, ar 1) followed by the OPT writeOpt produces, decoded by dns2. */
function decodeOpt(udpSize: number, rcode: number, dnssecOk: boolean, edeCode: number, text: Buffer | null) {
  const out = Buffer.alloc(12 + optLength(text));
  out.writeUInt16BE(0x8180 | (rcode & 0xf), 2);
  out.writeUInt16BE(1, 10);
  const end = writeOpt(out, 12, udpSize, rcode, dnssecOk, edeCode, text);
  expect(end).toBe(out.length);
  const p = Packet.parse(out);
  expect(p.errors).toEqual([]);
  return { raw: out, packet: p, opt: p.additionals[0] };
}

describe('writeOpt', () => {
  it('writes an option-less OPT: root owner, our UDP size, version 0, DO as asked', () => {
    const { raw, opt } = decodeOpt(1232, 0, true, 0, null);
    expect(raw.subarray(12).toString('hex')).toBe('00' + '0029' + '04d0' + '00' + '00' + '8000' + '0000');
    expect(opt).toMatchObject({ name: '', type: 41, class: 1232, version: 0, doFlag: true, extendedRcode: 0 });
    expect(OPT_FIXED_LENGTH).toBe(11);
  });

  it('carries the upper RCODE bits (BADVERS = 16 → EXTENDED-RCODE 1, header 0)', () => {
    const { raw, packet } = decodeOpt(1232, 16, false, 0, null);
    expect(raw[3]! & 0xf).toBe(0);
    expect(raw[12 + 5]).toBe(1);
    expect(packet.header.rcode).toBe(16);
  });

  it('adds an EDE option with INFO-CODE and text', () => {
    const { opt } = decodeOpt(4096, 3, false, EDE.BLOCKED, edeTextBytes('blocked by policy'));
    expect(opt?.rdata).toEqual([{ ednsCode: 15, infoCode: 15, extraText: 'blocked by policy' }]);
  });

  it('handles an EDE with empty text', () => {
    const { opt } = decodeOpt(512, 2, false, EDE.NETWORK_ERROR, edeTextBytes(''));
    expect(opt?.rdata).toEqual([{ ednsCode: 15, infoCode: 23, extraText: '' }]);
  });
});

describe('edeTextBytes', () => {
  it('keeps short texts whole, as UTF-8', () => {
    expect(edeTextBytes('Blokováno: NÚKIB').toString('utf8')).toBe('Blokováno: NÚKIB');
  });

  it.each([
    ['ASCII', 'x'.repeat(400), EDE_TEXT_MAX_BYTES],
    ['2-byte chars across the limit', 'č'.repeat(100), 150],
    ['3-byte chars across the limit', '中'.repeat(60), 150],
    ['4-byte chars across the limit', 'a' + '😀'.repeat(50), 149],
    ['a surrogate pair split by the first cut', 'a'.repeat(149) + '😀', 149],
  ])('cuts long texts on a character boundary: %s', (_label, text, expected) => {
    const bytes = edeTextBytes(text);
    expect(bytes.length).toBe(expected);
    expect(bytes.length).toBeLessThanOrEqual(EDE_TEXT_MAX_BYTES);
    // A clean cut decodes without replacement characters and is a prefix of the text.
    const decoded = bytes.toString('utf8');
    expect(decoded).not.toContain('\ufffd');
    expect(text.startsWith(decoded)).toBe(true);
  });

  it('returns the same bytes for the same text (memoised)', () => {
    expect(edeTextBytes('same text')).toBe(edeTextBytes('same text'));
  });
});
