/** Tests for src/dns/error-reply.ts: errorReply and rcodeReply, decoded with dns2. */

import dns2 from 'dns2';
import { describe, expect, it } from 'vitest';
import { EDE, RCODE, TYPE } from '../../src/dns/constants.js';
import { errorReply, rcodeReply } from '../../src/dns/error-reply.js';
import { buildQuery } from '../../src/dns/query-builder.js';
import { parseQuery } from '../../src/dns/query.js';
import type { ParsedQuery, QueryFailure } from '../../src/dns/types.js';

const { Packet } = dns2;

function parsed(msg: Buffer): ParsedQuery {
  const r = parseQuery(msg);
  if (!r.ok) throw new Error(r.failure.reason);
  return r.query;
}

type ReplyFailure = QueryFailure & { action: 'reply' };

describe('errorReply', () => {
  const msg = buildQuery({ id: 0x4242, name: 'Example.ORG', type: TYPE.A, cd: true });
  const questionEnd = msg.length;

  it('FORMERR without a question: header only, ID/opcode/RD/CD echoed, QR and RA set', () => {
    const failure: ReplyFailure = { action: 'reply', reason: 'x', rcode: RCODE.FORMERR, questionEnd: 0, edns: null };
    const reply = errorReply(msg, failure, 1232);
    expect(reply.length).toBe(12);
    expect(reply.toString('hex')).toBe('4242' + '8191' + '0000' + '0000' + '0000' + '0000');
  });

  it('NOTIMP with the question echoed exactly as sent', () => {
    const notify = Buffer.from(msg);
    notify[2] = 0x20 | 0x01; // opcode 4 + RD
    const failure: ReplyFailure = { action: 'reply', reason: 'x', rcode: RCODE.NOTIMP, questionEnd, edns: null };
    const reply = errorReply(notify, failure, 1232);
    const p = Packet.parse(reply);
    expect(p.errors).toEqual([]);
    expect(p.header).toMatchObject({ id: 0x4242, qr: 1, opcode: 4, rd: 1, ra: 1, aa: 0, rcode: RCODE.NOTIMP, qdcount: 1, arcount: 0 });
    expect(reply.subarray(12)).toEqual(notify.subarray(12, questionEnd));
  });

  it('adds an OPT when the query had EDNS, echoing DO', () => {
    const failure: ReplyFailure = {
      action: 'reply',
      reason: 'x',
      rcode: RCODE.FORMERR,
      questionEnd,
      edns: { udpSize: 4096, version: 0, dnssecOk: true },
    };
    const p = Packet.parse(errorReply(msg, failure, 1400));
    expect(p.additionals).toHaveLength(1);
    expect(p.additionals[0]).toMatchObject({ type: 41, class: 1400, doFlag: true, version: 0 });
  });

  it('BADVERS always gets an OPT (its RCODE does not fit the header)', () => {
    const failure: ReplyFailure = { action: 'reply', reason: 'x', rcode: RCODE.BADVERS, questionEnd, edns: null };
    const reply = errorReply(msg, failure, 1232);
    const p = Packet.parse(reply);
    expect(p.header.rcode).toBe(RCODE.BADVERS);
    expect(reply[3]! & 0xf).toBe(0);
    expect(p.additionals[0]).toMatchObject({ type: 41, extendedRcode: 1, version: 0 });
  });

  it('ignores a questionEnd that does not fit the message', () => {
    const failure: ReplyFailure = { action: 'reply', reason: 'x', rcode: RCODE.FORMERR, questionEnd: 999, edns: null };
    expect(errorReply(msg, failure, 1232).length).toBe(12);
  });
});

describe('rcodeReply', () => {
  it.each([
    ['REFUSED', RCODE.REFUSED],
    ['SERVFAIL', RCODE.SERVFAIL],
    ['NOTIMP', RCODE.NOTIMP],
  ])('%s to a classic query: question echoed, no OPT, no EDE', (_name, rcode) => {
    const msg = buildQuery({ id: 7, name: 'MiXeD.example.net', type: TYPE.HTTPS });
    const q = parsed(msg);
    const reply = rcodeReply(msg, q, rcode, { udpSize: 1232, ede: { code: EDE.PROHIBITED, text: 'not for you' } });
    const p = Packet.parse(reply);
    expect(p.errors).toEqual([]);
    expect(p.header).toMatchObject({ id: 7, qr: 1, ra: 1, rd: 1, rcode, qdcount: 1, ancount: 0, nscount: 0, arcount: 0 });
    expect(p.questions[0]).toMatchObject({ name: 'MiXeD.example.net', type: TYPE.HTTPS, class: 1 });
    expect(reply.length).toBe(q.questionEnd);
  });

  it('to an EDNS query: OPT with our size, DO echoed, and the EDE', () => {
    const msg = buildQuery({ id: 8, name: 'example.net', type: TYPE.A, edns: { udpSize: 4096, dnssecOk: true } });
    const q = parsed(msg);
    const p = Packet.parse(
      rcodeReply(msg, q, RCODE.SERVFAIL, { udpSize: 1232, ede: { code: EDE.NETWORK_ERROR, text: 'upstream timeout' } }),
    );
    expect(p.header.rcode).toBe(RCODE.SERVFAIL);
    expect(p.additionals[0]).toMatchObject({ type: 41, class: 1232, doFlag: true });
    expect(p.additionals[0]?.rdata).toEqual([{ ednsCode: 15, infoCode: EDE.NETWORK_ERROR, extraText: 'upstream timeout' }]);
  });

  it('to an EDNS query without an EDE: an OPT without options', () => {
    const msg = buildQuery({ id: 9, name: 'example.net', type: TYPE.A, edns: { udpSize: 1232 } });
    const p = Packet.parse(rcodeReply(msg, parsed(msg), RCODE.REFUSED, { udpSize: 1232 }));
    expect(p.additionals[0]).toMatchObject({ type: 41, doFlag: false, rdata: [] });
  });

  it('clears AD and AA and keeps CD', () => {
    const msg = buildQuery({ id: 10, name: 'example.net', type: TYPE.A, cd: true });
    msg[3] = msg[3]! | 0x20; // AD set by the client
    msg[2] = msg[2]! | 0x04; // AA set by the client
    const reply = rcodeReply(msg, parsed(msg), RCODE.REFUSED, { udpSize: 1232 });
    expect(reply[2]).toBe(0x81);
    expect(reply[3]).toBe(0x80 | 0x10 | RCODE.REFUSED);
  });
});
