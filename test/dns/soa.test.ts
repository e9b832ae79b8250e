/** Tests for src/dns/soa.ts: zoneOwnerOffset, writeSoa and wireTtl. */

import { describe, expect, it } from 'vitest';
import { TYPE } from '../../src/dns/constants.js';
import { buildQuery } from '../../src/dns/query-builder.js';
import { parseQuery } from '../../src/dns/query.js';
import { SOA_OWNER_ROOT, soaLength, wireTtl, writeSoa, zoneOwnerOffset } from '../../src/dns/soa.js';

function question(name: string): { msg: Buffer; questionEnd: number } {
  const msg = buildQuery({ name, type: TYPE.A });
  const r = parseQuery(msg);
  if (!r.ok) throw new Error(r.failure.reason);
  return { msg, questionEnd: r.query.questionEnd };
}

describe('zoneOwnerOffset', () => {
  it.each([
    ['chat.deepseek.com', 'deepseek.com', 12 + 5],
    ['Chat.DeepSeek.COM', 'deepseek.com', 12 + 5],
    ['deepseek.com', 'deepseek.com', 12],
    ['a.b.c.example.org', 'org', 12 + 2 + 2 + 2 + 8],
    ['chat.deepseek.com', 'com', 12 + 5 + 9],
    ['chat.deepseek.com', '', SOA_OWNER_ROOT],
    ['chat.deepseek.com', 'seek.com', -1],
    ['chat.deepseek.com', 'example.com', -1],
    ['deepseek.com', 'chat.deepseek.com', -1],
    ['a\\.deepseek.com', 'deepseek.com', -1], // one label 'a.deepseek', then 'com'
    ['a\\.b.deepseek.com', 'deepseek.com', 12 + 4],
    ['x.a\\.b.org', 'a\\.b.org', 12 + 2],
    ['x.a\\.b.org', 'b.org', -1],
  ])('%s in %j → %i', (name, zone, offset) => {
    const { msg, questionEnd } = question(name);
    expect(zoneOwnerOffset(msg, questionEnd, zone)).toBe(offset);
  });
});

describe('writeSoa', () => {
  it('writes exactly soaLength bytes, owner as a pointer or the root', () => {
    for (const owner of [SOA_OWNER_ROOT, 12, 300]) {
      const out = Buffer.alloc(400, 0xee);
      const end = writeSoa(out, 20, owner, 60);
      expect(end - 20).toBe(soaLength(owner));
      const fixed = owner === SOA_OWNER_ROOT ? 21 : 22;
      expect(out.readUInt16BE(fixed)).toBe(TYPE.SOA);
      expect(out.readUInt32BE(fixed + 4)).toBe(60);
      if (owner !== SOA_OWNER_ROOT) expect(out.readUInt16BE(20)).toBe(0xc000 | owner);
      // RNAME points back at MNAME, right at the start of RDATA.
      const rdata = fixed + 10;
      expect(out.readUInt16BE(rdata + 16 + 11)).toBe(0xc000 | rdata);
      expect(out.readUInt32BE(end - 4)).toBe(60); // MINIMUM
      expect(out[end]).toBe(0xee);
    }
  });
});

describe('wireTtl', () => {
  it.each([
    [60, 60],
    [0, 0],
    [-1, 0],
    [1.9, 1],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 2 ** 31 - 1],
    [2 ** 31, 2 ** 31 - 1],
  ])('%d → %d', (input, wire) => {
    expect(wireTtl(input)).toBe(wire);
  });
});
