/** Tests for src/dns/upstream-query.ts: the query as it goes upstream always has RD set. */
import { describe, expect, it } from 'vitest';
import { TYPE } from '../../src/dns/constants.js';
import { buildQuery } from '../../src/dns/query-builder.js';
import { withRecursionDesired } from '../../src/dns/upstream-query.js';

describe('withRecursionDesired', () => {
  it('returns the query itself when RD is set', () => {
    const q = buildQuery({ id: 1, name: 'www.example.org', type: TYPE.A, cd: true });
    expect(withRecursionDesired(q)).toBe(q);
  });

  it('sets RD on a copy when the client cleared it, leaving the client query and every other bit as they were', () => {
    const q = buildQuery({ id: 2, name: 'www.example.org', type: TYPE.A, rd: false, cd: true, edns: { udpSize: 1232 } });
    const before = Buffer.from(q);
    const out = withRecursionDesired(q);
    expect(out).not.toBe(q);
    expect(q).toEqual(before);
    expect(out[2]! & 0x01).toBe(1);
    expect(out[3]).toBe(q[3]);
    expect(out.subarray(3)).toEqual(q.subarray(3));
    expect(out[2]! & 0xfe).toBe(q[2]! & 0xfe);
  });
});
