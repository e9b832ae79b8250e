/** Appending an EDE option to a relayed answer's OPT record. */
import { describe, expect, it } from 'vitest';
import { appendEde } from '../../src/dns/ede-append.js';
import { buildQuery, buildReply, optRecord, record } from '../helpers/fake-upstream.js';

describe('appendEde', () => {
  const { msg, questionEnd } = buildQuery({ id: 1, name: 'a.example', type: 1 });
  const A = record(1, 30, Buffer.from([192, 0, 2, 1]));

  it('adds the option after those already in the OPT record', () => {
    const cookie = { code: 10, data: Buffer.alloc(8, 1) };
    const reply = buildReply(msg, { answers: [A], additional: [optRecord(1232, [cookie])] });
    const out = appendEde(reply, questionEnd, 3, 'stale');
    const ede = { code: 15, data: Buffer.concat([Buffer.from([0, 3]), Buffer.from('stale')]) };
    expect(out).toEqual(buildReply(msg, { answers: [A], additional: [optRecord(1232, [cookie, ede])] }));
  });

  it('leaves an answer without OPT alone', () => {
    const reply = buildReply(msg, { answers: [A] });
    expect(appendEde(reply, questionEnd, 3, 'stale')).toBe(reply);
  });
});
