/** Tests for src/dns/relay.ts: relayAnswer: byte-for-byte relay, OPT removal for classic clients, rejection of unusable upstream messages, fuzz. */

import dns2 from 'dns2';
import { describe, expect, it } from 'vitest';
import { TYPE } from '../../src/dns/constants.js';
import { buildQuery, encodeName } from '../../src/dns/query-builder.js';
import { parseQuery } from '../../src/dns/query.js';
import { relayAnswer } from '../../src/dns/relay.js';
import type { ParsedQuery } from '../../src/dns/types.js';

const { Packet } = dns2;

function parsed(msg: Buffer): ParsedQuery {
  const r = parseQuery(msg);
  if (!r.ok) throw new Error(r.failure.reason);
  return r.query;
}

/** One resource record in wire form. */
function rr(owner: string | Buffer, type: number, rdata: Buffer, ttl = 300, cls = 1): Buffer {
  const name = typeof owner === 'string' ? encodeName(owner) : owner;
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(cls, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([name, fixed, rdata]);
}
const PTR_QNAME = Buffer.from('c00c', 'hex');
const opt = (options: Buffer): Buffer => rr(Buffer.from([0]), TYPE.OPT, options, 0x8000, 1232);
const OPT_OPTIONS = Buffer.from(
  '000a0018' + 'ab'.repeat(24) + // COOKIE
    '000f0006' + '0003' + '7374616c' + // EDE 3 "stal"
    '000c0004' + '00000000', // PADDING
  'hex',
);

/** An upstream response: header (id, flags 8180), the question as given, then the sections. */
function response(id: number, question: Buffer, an: Buffer[], ns: Buffer[], ar: Buffer[], flags = 0x8180): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(an.length, 6);
  h.writeUInt16BE(ns.length, 8);
  h.writeUInt16BE(ar.length, 10);
  return Buffer.concat([h, question, ...an, ...ns, ...ar]);
}

const clientClassic = buildQuery({ id: 0x1111, name: 'WwW.Example.ORG', type: TYPE.A });
const clientEdns = buildQuery({ id: 0x2222, name: 'WwW.Example.ORG', type: TYPE.A, edns: { udpSize: 1232 } });
const qClassic = parsed(clientClassic);
const qEdns = parsed(clientEdns);
/** The question as the upstream echoes it: lower case (we forward it as the client sent it; some upstreams normalise). */
const upstreamQuestion = Buffer.concat([encodeName('www.example.org'), Buffer.from('00010001', 'hex')]);
const answers = [
  rr(PTR_QNAME, TYPE.CNAME, encodeName('Edge.Example.NET')),
  rr('Edge.Example.NET', TYPE.A, Buffer.from([192, 0, 2, 1])),
  rr('Edge.Example.NET', TYPE.TXT, Buffer.from([3, 0xff, 0xfe, 0x41, 0])), // binary TXT, then an empty string
  rr('a\\.b.example.net', TYPE.HTTPS, Buffer.from('0001000001000302683202', 'hex')),
];
const authority = [rr('Example.NET', TYPE.NS, encodeName('ns1.example.net'))];

describe('relayAnswer to an EDNS client', () => {
  const upstream = response(0x9999, upstreamQuestion, answers, authority, [opt(OPT_OPTIONS)]);

  it('rewrites only the ID and the question; everything else is byte for byte', () => {
    const before = Buffer.from(upstream);
    const out = relayAnswer(upstream, clientEdns, qEdns);
    expect(out).not.toBeNull();
    if (out === null) return;
    expect(out.length).toBe(upstream.length);
    expect(out.readUInt16BE(0)).toBe(0x2222);
    expect(out.subarray(2, 12)).toEqual(upstream.subarray(2, 12));
    expect(out.subarray(12, qEdns.questionEnd)).toEqual(clientEdns.subarray(12, qEdns.questionEnd));
    expect(out.subarray(qEdns.questionEnd)).toEqual(upstream.subarray(qEdns.questionEnd));
    expect(upstream).toEqual(before); // the upstream buffer is not modified
  });

  it('decodes to the client case in the question, the upstream case elsewhere, and all EDNS options', () => {
    const out = relayAnswer(upstream, clientEdns, qEdns);
    if (out === null) throw new Error('null');
    const p = Packet.parse(out);
    expect(p.questions[0]?.name).toBe('WwW.Example.ORG');
    expect(p.answers.map((a) => a.name)).toEqual(['WwW.Example.ORG', 'Edge.Example.NET', 'Edge.Example.NET', 'a.b.example.net']);
    expect(p.answers[3]?.type).toBe(TYPE.HTTPS);
    // dns2 drops COOKIE and PADDING when decoding; the raw bytes show they are there.
    expect(out.includes(OPT_OPTIONS)).toBe(true);
  });
});

describe('relayAnswer to a classic client', () => {
  it('removes the OPT record and lowers ARCOUNT', () => {
    const upstream = response(0x9999, upstreamQuestion, answers, authority, [opt(OPT_OPTIONS)]);
    const out = relayAnswer(upstream, clientClassic, qClassic);
    if (out === null) throw new Error('null');
    const optLength = opt(OPT_OPTIONS).length;
    expect(out.length).toBe(upstream.length - optLength);
    expect(out.readUInt16BE(10)).toBe(0);
    expect(out.subarray(qClassic.questionEnd)).toEqual(upstream.subarray(qClassic.questionEnd, upstream.length - optLength));
    const p = Packet.parse(out);
    expect(p.errors).toEqual([]);
    expect(p.additionals).toEqual([]);
    expect(p.answers).toHaveLength(4);
  });

  it('keeps the other ADDITIONAL records around an OPT in the middle', () => {
    const glue1 = rr('ns1.example.net', TYPE.A, Buffer.from([192, 0, 2, 53]));
    const glue2 = rr('ns1.example.net', TYPE.AAAA, Buffer.alloc(16, 1));
    const upstream = response(0x9999, upstreamQuestion, answers, authority, [glue1, opt(OPT_OPTIONS), glue2]);
    const out = relayAnswer(upstream, clientClassic, qClassic);
    if (out === null) throw new Error('null');
    expect(out.readUInt16BE(10)).toBe(2);
    expect(out.subarray(out.length - glue1.length - glue2.length)).toEqual(Buffer.concat([glue1, glue2]));
    const p = Packet.parse(out);
    expect(p.errors).toEqual([]);
    expect(p.additionals.map((r) => r.type)).toEqual([TYPE.A, TYPE.AAAA]);
  });

  it('copies an answer without OPT as is', () => {
    const glue = rr('ns1.example.net', TYPE.A, Buffer.from([192, 0, 2, 53]));
    const upstream = response(0x9999, upstreamQuestion, answers, [], [glue]);
    const out = relayAnswer(upstream, clientClassic, qClassic);
    if (out === null) throw new Error('null');
    expect(out.subarray(qClassic.questionEnd)).toEqual(upstream.subarray(qClassic.questionEnd));
    expect(out.readUInt16BE(10)).toBe(1);
  });

  it('keeps bytes after the counted records, as it keeps everything else', () => {
    const upstream = Buffer.concat([response(0x9999, upstreamQuestion, [], [], [opt(Buffer.alloc(0))]), Buffer.from('abcd', 'hex')]);
    const out = relayAnswer(upstream, clientClassic, qClassic);
    if (out === null) throw new Error('null');
    expect(out.subarray(out.length - 2).toString('hex')).toBe('abcd');
    expect(out.length).toBe(qClassic.questionEnd + 2);
  });

  it('refuses an upstream whose records cannot be walked', () => {
    const broken = response(0x9999, upstreamQuestion, [], [], [opt(OPT_OPTIONS)]);
    expect(relayAnswer(broken.subarray(0, broken.length - 3), clientClassic, qClassic)).toBeNull();
    const badCount = Buffer.from(broken);
    badCount.writeUInt16BE(5, 6); // ANCOUNT 5 with nothing there
    expect(relayAnswer(badCount, clientClassic, qClassic)).toBeNull();
    // An EDNS client gets the answer as is: nothing needs walking.
    expect(relayAnswer(badCount, clientEdns, qEdns)).not.toBeNull();
  });
});

describe('relayAnswer rejects unusable upstream messages', () => {
  const good = response(0x9999, upstreamQuestion, answers, [], []);
  const other = (name: string, tail = '00010001') => Buffer.concat([encodeName(name), Buffer.from(tail, 'hex')]);
  it.each([
    ['empty', Buffer.alloc(0)],
    ['header only', good.subarray(0, 12)],
    ['cut inside the question', good.subarray(0, 20)],
    ['QR=0 (a query)', response(1, upstreamQuestion, [], [], [], 0x0100)],
    ['QDCOUNT 0', Buffer.concat([Buffer.from('999981800000000000000000', 'hex'), upstreamQuestion])],
    ['QDCOUNT 2', Buffer.concat([Buffer.from('999981800002000000000000', 'hex'), upstreamQuestion, upstreamQuestion])],
    ['another name, same length', response(1, other('www.example.net'), [], [], [])],
    ['another name, other length', response(1, other('example.org'), [], [], [])],
    ['another QTYPE', response(1, other('www.example.org', '001c0001'), [], [], [])],
    ['another QCLASS', response(1, other('www.example.org', '00010003'), [], [], [])],
  ])('%s', (_label, upstream) => {
    expect(relayAnswer(upstream, clientClassic, qClassic)).toBeNull();
    expect(relayAnswer(upstream, clientEdns, qEdns)).toBeNull();
  });

  it('compares QTYPE exactly, even where folding bit 0x20 would make it equal (HTTPS 0x41 vs 0x61)', () => {
    const msg = buildQuery({ id: 5, name: 'www.example.org', type: TYPE.HTTPS });
    const upstream = response(1, other('www.example.org', '00610001'), [], [], []);
    expect(relayAnswer(upstream, msg, parsed(msg))).toBeNull();
    expect(relayAnswer(response(1, other('www.example.org', '00410001'), [], [], []), msg, parsed(msg))).not.toBeNull();
  });

  it('accepts a question that differs only in letter case (0x20 randomisation)', () => {
    const upstream = response(1, Buffer.concat([encodeName('wWw.eXaMpLe.oRg'), Buffer.from('00010001', 'hex')]), [], [], []);
    const out = relayAnswer(upstream, clientClassic, qClassic);
    expect(out?.subarray(12, qClassic.questionEnd)).toEqual(clientClassic.subarray(12, qClassic.questionEnd));
  });
});

describe('relayAnswer fuzz', () => {
  it('never throws on 5k mutated upstream answers, and what it returns carries the client ID and question', () => {
    let a = 0x1234567;
    const rnd = (n: number): number => {
      a = (Math.imul(a, 1103515245) + 12345) >>> 0;
      return (a >>> 8) % n;
    };
    const glue = rr('ns1.example.net', TYPE.A, Buffer.from([192, 0, 2, 53]));
    const base = response(0x9999, upstreamQuestion, answers, authority, [glue, opt(OPT_OPTIONS)]);
    let relayed = 0;
    for (let i = 0; i < 5000; i++) {
      let up = Buffer.from(base);
      // Mutate past the question mostly, so the question check passes and the walker is exercised.
      const flips = 1 + rnd(4);
      for (let f = 0; f < flips; f++) {
        const at = rnd(10) === 0 ? rnd(up.length) : qClassic.questionEnd + rnd(up.length - qClassic.questionEnd);
        up[at] = rnd(3) === 0 ? 0xc0 | rnd(64) : rnd(256);
      }
      if (rnd(4) === 0) up = up.subarray(0, rnd(up.length + 1));
      for (const [msg, q] of [
        [clientClassic, qClassic],
        [clientEdns, qEdns],
      ] as const) {
        const out = relayAnswer(up, msg, q);
        if (out === null) continue;
        relayed++;
        expect(out.readUInt16BE(0)).toBe(q.id);
        expect(out.subarray(12, q.questionEnd)).toEqual(msg.subarray(12, q.questionEnd));
        expect(out.length).toBeLessThanOrEqual(up.length);
      }
    }
    expect(relayed).toBeGreaterThan(1000);
  });
});

describe('relayAnswer header flags', () => {
  it.each([
    { name: 'authoritative upstream without RA', flags: 0x8500, wantFlags: 0x8180 },
    { name: 'recursive upstream with RA and AD kept', flags: 0x81a0, wantFlags: 0x81a0 },
    { name: 'NXDOMAIN from an authority', flags: 0x8503, wantFlags: 0x8183 },
  ])('sets RA and clears AA: $name', ({ flags, wantFlags }) => {
    const up = response(0x9999, upstreamQuestion, [], [], [], flags);
    const out = relayAnswer(up, clientClassic, qClassic);
    expect(out?.readUInt16BE(2)).toBe(wantFlags);
    expect(out?.readUInt16BE(0)).toBe(0x1111);
  });
});

describe('relayAnswer: RD and CD are the client query', () => {
  it.each([
    { name: 'RD=0, CD=1 client; upstream RD=1, CD=0', rd: false, cd: true, upFlags: 0x8180 },
    { name: 'RD=1, CD=0 client; upstream RD=0, CD=1', rd: true, cd: false, upFlags: 0x8090 },
    { name: 'RD=0, CD=0 client; authoritative upstream NXDOMAIN', rd: false, cd: false, upFlags: 0x8503 },
  ])('$name', ({ rd, cd, upFlags }) => {
    for (const client of [buildQuery({ id: 0x3333, name: 'WwW.Example.ORG', type: TYPE.A, rd, cd }), buildQuery({ id: 0x4444, name: 'WwW.Example.ORG', type: TYPE.A, rd, cd, edns: { udpSize: 1232 } })]) {
      const up = response(0x9999, upstreamQuestion, answers, [], [opt(Buffer.alloc(0))], upFlags);
      const out = relayAnswer(up, client, parsed(client));
      expect(out).not.toBeNull();
      expect(out![2]! & 0x01, 'RD').toBe(rd ? 1 : 0);
      expect(out![3]! & 0x10, 'CD').toBe(cd ? 0x10 : 0);
      expect(out![2]! & 0x04, 'AA').toBe(0);
      expect(out![3]! & 0x80, 'RA').toBe(0x80);
      expect(out![3]! & 0x0f, 'RCODE kept').toBe(upFlags & 0x0f);
      expect(out!.readUInt16BE(0)).toBe(client.readUInt16BE(0));
      const decoded = Packet.parse(out!);
      expect(decoded.questions[0]?.name).toBe('WwW.Example.ORG');
    }
  });

  it('removes the OPT found by the check on arrival (the records after it move up)', () => {
    const tail = rr(PTR_QNAME, TYPE.A, Buffer.from([192, 0, 2, 9]));
    const optRr = opt(OPT_OPTIONS);
    const up = response(0x9999, upstreamQuestion, answers, authority, [optRr, tail]);
    const optStart = up.length - tail.length - optRr.length;
    const walked = relayAnswer(up, clientClassic, qClassic);
    const placed = relayAnswer(up, clientClassic, qClassic, { optStart, optEnd: optStart + optRr.length });
    expect(placed).toEqual(walked);
    expect(placed!.readUInt16BE(10)).toBe(1);
  });
});
