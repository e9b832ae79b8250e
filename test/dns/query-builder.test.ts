/** Tests for src/dns/query-builder.ts: encodeName and buildQuery, checked against dns2. */

import dns2 from 'dns2';
import { describe, expect, it } from 'vitest';
import { TYPE } from '../../src/dns/constants.js';
import { buildQuery, encodeName } from '../../src/dns/query-builder.js';
import { HradbaError } from '../../src/errors.js';

const { Packet } = dns2;

describe('encodeName', () => {
  it.each([
    ['', '00'],
    ['.', '00'],
    ['org', '036f726700'],
    ['example.org.', '076578616d706c65036f726700'],
    ['a\\.b.org', '03612e62036f726700'],
    ['a\\\\.org', '02615c036f726700'],
  ])('%j', (name, wire) => {
    expect(encodeName(name).toString('hex')).toBe(wire);
  });

  it.each([
    ['an empty label', 'a..org'],
    ['a leading dot', '.org'],
    ['a label of 64 octets', `${'a'.repeat(64)}.org`],
    ['more than 255 octets', `${'a'.repeat(63)}.`.repeat(4) + 'org'],
    ['non-latin1 characters', 'příklad.中国'],
  ])('refuses %s', (_label, name) => {
    expect(() => encodeName(name)).toThrow(HradbaError);
    try {
      encodeName(name);
    } catch (e) {
      expect((e as HradbaError).code).toBe('HRADBA_ERR_USAGE');
    }
  });
});

describe('buildQuery', () => {
  it('builds a classic query that dns2 reads back', () => {
    const p = Packet.parse(buildQuery({ id: 513, name: 'www.example.org', type: TYPE.AAAA, rd: false }));
    expect(p.errors).toEqual([]);
    expect(p.header).toMatchObject({ id: 513, qr: 0, opcode: 0, rd: 0, qdcount: 1, arcount: 0 });
    expect(p.questions[0]).toMatchObject({ name: 'www.example.org', type: TYPE.AAAA, class: 1 });
  });

  it('builds an EDNS query with DO, CD and options', () => {
    const msg = buildQuery({
      id: 1,
      name: 'example.org',
      type: TYPE.HTTPS,
      cd: true,
      edns: { udpSize: 1232, dnssecOk: true, options: [{ code: 15, data: Buffer.from('000f6869', 'hex') }] },
    });
    const p = Packet.parse(msg);
    expect(p.errors).toEqual([]);
    expect(p.header).toMatchObject({ rd: 1, cd: 1, arcount: 1 });
    expect(p.additionals[0]).toMatchObject({ type: 41, class: 1232, doFlag: true, version: 0 });
    expect(p.additionals[0]?.rdata).toEqual([{ ednsCode: 15, infoCode: 15, extraText: 'hi' }]);
  });
});
