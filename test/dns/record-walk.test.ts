/** Tests for src/dns/record-walk.ts: skipName, checkName, skipRecord, skipRecords and additionalStart on hand-made wire bytes. */

import { describe, expect, it } from 'vitest';
import { additionalStart, checkName, skipName, skipRecord, skipRecords } from '../../src/dns/record-walk.js';

const hex = (h: string): Buffer => Buffer.from(h, 'hex');
const HEADER = '0000818000010001' + '00000000'; // qd 1, an 1, ns 0, ar 0

describe('skipName', () => {
  it.each([
    ['the root', '00', 0, 1],
    ['two labels', '0161026263' + '00', 0, 6],
    ['a backward pointer', '0161' + '00' + 'c000', 3, 5],
    ['labels then a pointer', '0161' + '00' + '0162c000', 3, 7],
    ['a pointer to itself', 'c000', 0, -1],
    ['a forward pointer', '00' + 'c005' + '0000', 1, -1],
    ['a cut pointer', 'c0', 0, -1],
    ['a label past the end', '0561', 0, -1],
    ['no root label', '0161', 0, -1],
    ['label type 01', '4100', 0, -1],
    ['label type 10', '8100', 0, -1],
    ['an offset past the end', '00', 5, -1],
  ])('%s', (_label, h, off, end) => {
    expect(skipName(hex(h), off)).toBe(end);
  });

  it('refuses names over 255 octets, counting the root label', () => {
    const label = '3f' + '61'.repeat(63);
    const ok = hex(label.repeat(3) + '3d' + '61'.repeat(61) + '00'); // 64 * 3 + 62 + 1 = 255
    expect(skipName(ok, 0)).toBe(255);
    const long = hex(label.repeat(3) + '3e' + '61'.repeat(62) + '00'); // 256
    expect(skipName(long, 0)).toBe(-1);
  });
});

describe('skipRecord / skipRecords / additionalStart', () => {
  const question = '0161' + '00' + '00010001'; // a. A IN, offsets 12..19
  const answer = 'c00c' + '00010001' + '0000003c' + '0004' + '7f000001'; // 16 bytes
  const msg = hex(HEADER + question + answer);

  it('skips a record by its RDLENGTH', () => {
    expect(skipRecord(msg, 19)).toBe(35);
    expect(skipRecords(msg, 19, 1)).toBe(35);
    expect(skipRecords(msg, 19, 0)).toBe(19);
    expect(additionalStart(msg, 19)).toBe(35);
  });

  it('fails on records that do not fit', () => {
    expect(skipRecord(msg.subarray(0, 34), 19)).toBe(-1); // RDATA cut
    expect(skipRecord(msg.subarray(0, 25), 19)).toBe(-1); // fixed part cut
    expect(skipRecords(msg, 19, 2)).toBe(-1);
    expect(skipRecords(msg, 19, 65535)).toBe(-1);
    expect(additionalStart(msg.subarray(0, 11), 19)).toBe(-1);
  });
});

describe('checkName', () => {
  it.each([
    ['the root', '00', 0, 1],
    ['two labels', '0161026263' + '00', 0, 6],
    ['a backward pointer', '0161' + '00' + 'c000', 3, 5],
    ['labels then a pointer', '0161' + '00' + '0162c000', 3, 7],
    ['a pointer to a compressed name further back', '016100' + '0162c000' + 'c003', 7, 9],
    ['a pointer to itself', 'c000', 0, -1],
    ['a forward pointer', '00' + 'c005' + '0000', 1, -1],
    // Each pointer points before itself, yet a decoder following them loops: skipName cannot see it.
    ['a label, then a pointer back to that label', '0161c000', 0, -1],
    ['two names pointing at each other', '0161c004' + '0162c000', 4, -1],
    ['a pointer into the middle of a later name', '0161c003' + '0162' + '00', 0, -1],
    ['a cut pointer', 'c0', 0, -1],
    ['a label past the end', '0561', 0, -1],
    ['a pointer to a label past the end', '05' + 'c000', 1, -1],
    ['label type 01', '4100', 0, -1],
  ])('%s', (_label, h, off, end) => {
    expect(checkName(hex(h), off)).toBe(end);
  });

  it('counts the labels reached through pointers against the 255 octets', () => {
    const label = '3f' + '61'.repeat(63);
    const tail = hex(label.repeat(3) + '3d' + '61'.repeat(61) + '00'); // 255 octets
    expect(checkName(Buffer.concat([tail, hex('c000')]), 255)).toBe(257);
    expect(checkName(Buffer.concat([tail, hex('0162c000')]), 255)).toBe(-1);
  });
});
