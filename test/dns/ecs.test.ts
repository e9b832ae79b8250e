/** Removing EDNS Client Subnet options from a query, leaving every other byte and option as it was. */
import { describe, expect, it } from 'vitest';
import { withoutEcs } from '../../src/dns/ecs.js';
import { parseQuery } from '../../src/dns/query.js';
import { buildQuery, optRecord } from '../helpers/fake-upstream.js';

const ecs = { code: 8, data: Buffer.from([0, 1, 24, 0, 192, 0, 2]) };
const cookie = { code: 10, data: Buffer.alloc(8, 0xab) };

describe('withoutEcs', () => {
  it('returns the same buffer when there is nothing to remove', () => {
    const plain = buildQuery({ id: 1, name: 'a.example', type: 1 });
    expect(withoutEcs(plain.msg, plain.questionEnd)).toBe(plain.msg);
    const withCookie = buildQuery({ id: 1, name: 'a.example', type: 1, additional: [optRecord(1232, [cookie])] });
    expect(withoutEcs(withCookie.msg, withCookie.questionEnd)).toBe(withCookie.msg);
  });

  it('cuts the ECS option and keeps the others, with RDLENGTH adjusted', () => {
    const q = buildQuery({ id: 1, name: 'a.example', type: 1, additional: [optRecord(1232, [cookie, ecs])] });
    const out = withoutEcs(q.msg, q.questionEnd);
    const expected = buildQuery({ id: 1, name: 'a.example', type: 1, additional: [optRecord(1232, [cookie])] });
    expect(out).toEqual(expected.msg);
    expect(parseQuery(out).ok).toBe(true);
  });

  it('removes an ECS option that is the only one', () => {
    const q = buildQuery({ id: 1, name: 'a.example', type: 1, additional: [optRecord(1232, [ecs])] });
    expect(withoutEcs(q.msg, q.questionEnd)).toEqual(buildQuery({ id: 1, name: 'a.example', type: 1, additional: [optRecord(1232)] }).msg);
  });
});
