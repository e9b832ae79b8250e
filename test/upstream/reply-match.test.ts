/** Tests for matching upstream replies to our query: ID, QR, opcode and the case-insensitive question. */
import { describe, expect, it } from 'vitest';
import { sameQuestion } from '../../src/dns/same-question.js';
import { isAnswerTo } from '../../src/upstream/reply-match.js';
import { buildQuery, buildReply, encodeName } from '../helpers/fake-upstream.js';

const { msg: query, questionEnd } = buildQuery({ id: 0x4242, name: 'www.Example.org', type: 65 });

function question(name: string, type = 65, cls = 1): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(cls, 2);
  return Buffer.concat([encodeName(name), tail]);
}

describe('sameQuestion', () => {
  it.each([
    { name: 'identical', q: question('www.Example.org'), want: true },
    { name: 'case changed (0x20 randomisation)', q: question('WwW.eXAMPLE.ORG'), want: true },
    { name: 'other name, same length', q: question('www.Example.net'), want: false },
    { name: 'other name, other length', q: question('example.org'), want: false },
    { name: 'other qtype', q: question('www.Example.org', 28), want: false },
    // 65 ('A') and 97 ('a') differ only in bit 0x20: QTYPE must not be case folded.
    { name: 'qtype differing only in bit 0x20', q: question('www.Example.org', 97), want: false },
    { name: 'other qclass', q: question('www.Example.org', 65, 3), want: false },
  ])('$name → $want', ({ q, want }) => {
    const reply = buildReply(query, { question: q });
    expect(sameQuestion(reply, query, questionEnd)).toBe(want);
  });

  // '[' (0x5b) and '{' (0x7b) differ only in bit 0x20 but are not letters, so no case folding applies.
  it('non-letters differing in bit 0x20 are told apart', () => {
    const a = buildQuery({ id: 1, name: 'a[b.example.org', type: 1 });
    const b = buildQuery({ id: 1, name: 'a{b.example.org', type: 1 });
    expect(sameQuestion(buildReply(b.msg), a.msg, a.questionEnd)).toBe(false);
  });

  it('a reply shorter than the question does not match', () => {
    expect(sameQuestion(buildReply(query).subarray(0, questionEnd - 1), query, questionEnd)).toBe(false);
  });
});

describe('isAnswerTo', () => {
  const good = buildReply(query);
  const notResponse = Buffer.from(good);
  notResponse[2] = notResponse[2]! & 0x7f;
  const otherOpcode = Buffer.from(good);
  otherOpcode[2] = otherOpcode[2]! | (2 << 3);
  const twoQuestions = Buffer.from(good);
  twoQuestions.writeUInt16BE(2, 4);

  it.each([
    { name: 'a matching answer', reply: good, id: 0x4242, want: true },
    { name: 'another ID', reply: good, id: 0x4243, want: false },
    { name: 'QR=0', reply: notResponse, id: 0x4242, want: false },
    { name: 'another opcode', reply: otherOpcode, id: 0x4242, want: false },
    { name: 'QDCOUNT 2', reply: twoQuestions, id: 0x4242, want: false },
    { name: 'header only', reply: good.subarray(0, 12), id: 0x4242, want: false },
  ])('$name → $want', ({ reply, id, want }) => {
    expect(isAnswerTo(reply, id, query, questionEnd)).toBe(want);
  });
});
