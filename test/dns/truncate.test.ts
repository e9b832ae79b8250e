/** Tests for src/dns/truncate.ts: clientUdpLimit and fitUdp: fitting answers kept, oversized ones turned into valid TC=1 messages. */

import dns2 from 'dns2';
import { describe, expect, it } from 'vitest';
import { RCODE, TYPE } from '../../src/dns/constants.js';
import { buildQuery } from '../../src/dns/query-builder.js';
import { parseQuery } from '../../src/dns/query.js';
import { relayAnswer } from '../../src/dns/relay.js';
import { clientUdpLimit, fitUdp } from '../../src/dns/truncate.js';
import type { ParsedQuery } from '../../src/dns/types.js';

const { Packet } = dns2;

function query(edns: { udpSize: number; dnssecOk?: boolean } | null): { msg: Buffer; q: ParsedQuery } {
  const msg = buildQuery({ id: 0x7777, name: 'Big.Example.ORG', type: TYPE.A, edns });
  const r = parseQuery(msg);
  if (!r.ok) throw new Error(r.failure.reason);
  return { msg, q: r.query };
}

/** An answer to `msg` with `count` A records (16 bytes each) and optionally an OPT record (raw bytes). */
function bigAnswer(msg: Buffer, q: ParsedQuery, count: number, opt: Buffer | null, rcode = 0): Buffer {
  const head = Buffer.from(msg.subarray(0, q.questionEnd));
  head[2] = 0x81;
  head[3] = 0x80 | rcode;
  head.writeUInt16BE(count, 6);
  head.writeUInt16BE(opt === null ? 0 : 1, 10);
  const records: Buffer[] = [];
  for (let i = 0; i < count; i++) records.push(Buffer.from(`c00c00010001000001000004c00002${(i & 0xff).toString(16).padStart(2, '0')}`, 'hex'));
  return Buffer.concat([head, ...records, ...(opt === null ? [] : [opt])]);
}

// OPT: size 1232, EXTENDED-RCODE 0, DO, an EDE option 3 "stale".
const UPSTREAM_OPT = Buffer.from('00' + '0029' + '04d0' + '00008000' + '000b' + '000f0007' + '0003' + '7374616c65', 'hex');

describe('clientUdpLimit', () => {
  it.each([
    ['no EDNS', null, 1232, 512],
    ['EDNS below 512 is raised to 512', 100, 1232, 512],
    ['EDNS 1000 is honoured', 1000, 1232, 1000],
    ['EDNS 4096 is capped at our size', 4096, 1232, 1232],
    ['our size below 512 still allows 512', 4096, 400, 512],
  ])('%s', (_label, clientSize, ours, limit) => {
    expect(clientUdpLimit(query(clientSize === null ? null : { udpSize: clientSize }).q, ours)).toBe(limit);
  });
});

describe('fitUdp', () => {
  it('returns the answer itself when it fits', () => {
    const { msg, q } = query(null);
    const answer = bigAnswer(msg, q, 20, null); // 33 + 320 bytes
    expect(fitUdp(answer, q, 1232)).toBe(answer);
  });

  it('truncates to header + question with TC=1 for a classic client', () => {
    const { msg, q } = query(null);
    const answer = bigAnswer(msg, q, 40, null, RCODE.NOERROR);
    expect(answer.length).toBeGreaterThan(512);
    const out = fitUdp(answer, q, 1232);
    expect(out.length).toBe(q.questionEnd);
    const p = Packet.parse(out);
    expect(p.errors).toEqual([]);
    expect(p.header).toMatchObject({ id: 0x7777, qr: 1, tc: 1, ra: 1, rd: 1, qdcount: 1, ancount: 0, nscount: 0, arcount: 0 });
    expect(p.questions[0]?.name).toBe('Big.Example.ORG');
  });

  it('keeps the answer RCODE and the answer OPT (EDE, DO) for an EDNS client', () => {
    const { msg, q } = query({ udpSize: 512, dnssecOk: true });
    const answer = bigAnswer(msg, q, 40, UPSTREAM_OPT, RCODE.SERVFAIL);
    const out = fitUdp(answer, q, 1232);
    expect(out.length).toBe(q.questionEnd + UPSTREAM_OPT.length);
    expect(out.subarray(q.questionEnd)).toEqual(UPSTREAM_OPT);
    const p = Packet.parse(out);
    expect(p.header).toMatchObject({ tc: 1, rcode: RCODE.SERVFAIL, qdcount: 1, ancount: 0, arcount: 1 });
    expect(p.additionals[0]?.rdata).toEqual([{ ednsCode: 15, infoCode: 3, extraText: 'stale' }]);
  });

  it('uses the client limit, not ours, when the client asked for less', () => {
    const { msg, q } = query({ udpSize: 1000 });
    expect(fitUdp(bigAnswer(msg, q, 61, UPSTREAM_OPT), q, 1232).length).toBe(q.questionEnd + UPSTREAM_OPT.length);
    const fits = bigAnswer(msg, q, 50, UPSTREAM_OPT);
    expect(fits.length).toBeLessThanOrEqual(1000);
    expect(fitUdp(fits, q, 1232)).toBe(fits);
  });

  it('writes a fresh OPT (our size, DO echoed) when the answer has none', () => {
    const { msg, q } = query({ udpSize: 600, dnssecOk: true });
    const out = fitUdp(bigAnswer(msg, q, 40, null, RCODE.NXDOMAIN), q, 1232);
    const p = Packet.parse(out);
    expect(p.header).toMatchObject({ tc: 1, rcode: RCODE.NXDOMAIN, arcount: 1 });
    expect(p.additionals[0]).toMatchObject({ type: 41, class: 1232, doFlag: true, rdata: [] });
  });

  it('writes a fresh OPT when the answer OPT cannot be reached or is too big', () => {
    const { msg, q } = query({ udpSize: 512 });
    const broken = bigAnswer(msg, q, 40, UPSTREAM_OPT);
    broken.writeUInt16BE(41, 6); // one more answer record than there is: the walk fails
    expect(Packet.parse(fitUdp(broken, q, 1232)).additionals[0]).toMatchObject({ type: 41, class: 1232, rdata: [] });

    const padding = Buffer.alloc(600);
    const hugeOpt = Buffer.concat([Buffer.from('00002904d000000000' + '0260' + '000c025c', 'hex'), padding]);
    const out = fitUdp(bigAnswer(msg, q, 10, hugeOpt), q, 1232);
    expect(out.length).toBe(q.questionEnd + 11);
    expect(Packet.parse(out).additionals[0]).toMatchObject({ type: 41, rdata: [] });
  });

  it('truncates a relayed answer, whose question is the client one', () => {
    const { msg, q } = query(null);
    const upstream = bigAnswer(msg, q, 60, UPSTREAM_OPT);
    upstream.writeUInt16BE(0x1234, 0);
    const relayed = relayAnswer(upstream, msg, q);
    if (relayed === null) throw new Error('null');
    const out = fitUdp(relayed, q, 1232);
    expect(out.length).toBe(q.questionEnd);
    expect(out.readUInt16BE(0)).toBe(0x7777);
    expect(out[2]! & 0x02).toBe(0x02);
  });
});
