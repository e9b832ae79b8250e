/** Tests for src/dns/query.ts: parseQuery: well-formed queries, every malformed-message branch (with the reply it earns), and a fuzz run. */

import dns2 from 'dns2';
import { describe, expect, it } from 'vitest';
import { RCODE, TYPE } from '../../src/dns/constants.js';
import { errorReply } from '../../src/dns/error-reply.js';
import { localAnswer } from '../../src/dns/local-zone.js';
import { buildQuery, encodeName } from '../../src/dns/query-builder.js';
import { parseQuery } from '../../src/dns/query.js';
import { sinkholeAnswer } from '../../src/dns/sinkhole-answer.js';
import type { QueryParseResult } from '../../src/dns/types.js';

const { Packet } = dns2;

/** A 12-byte header: id 0x1234, the given flag bytes and counts. */
function header(flags2: number, flags3: number, qd: number, an = 0, ns = 0, ar = 0): string {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(0x1234, 0);
  b[2] = flags2;
  b[3] = flags3;
  b.writeUInt16BE(qd, 4);
  b.writeUInt16BE(an, 6);
  b.writeUInt16BE(ns, 8);
  b.writeUInt16BE(ar, 10);
  return b.toString('hex');
}
const hex = (...parts: string[]): Buffer => Buffer.from(parts.join(''), 'hex');
const name = (n: string): string => encodeName(n).toString('hex');
const A_IN = '00010001';
const OPT0 = '00' + '0029' + '04d0' + '00000000' + '0000'; // root, OPT, 1232, ext 0, version 0, no flags, rdlen 0
const OPT_V1 = '00' + '0029' + '04d0' + '00010000' + '0000';
const STD = 0x01; // RD

/** The failure of a result that must have failed. */
function failureOf(r: QueryParseResult) {
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error('unreachable');
  return r.failure;
}

describe('parseQuery: well-formed queries', () => {
  it('reads id, flags, name, type, class and the question end', () => {
    const msg = buildQuery({ id: 0xbeef, name: 'www.example.org', type: TYPE.AAAA, cd: true });
    const r = parseQuery(msg);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.query).toEqual({
      id: 0xbeef,
      flags: 0x0110,
      recursionDesired: true,
      checkingDisabled: true,
      qname: 'www.example.org',
      qtype: TYPE.AAAA,
      qclass: 1,
      questionEnd: msg.length,
      edns: null,
    });
  });

  it('lower-cases the name but leaves the question bytes as sent', () => {
    const msg = buildQuery({ name: 'WwW.ExAmPlE.OrG', type: TYPE.A, rd: false });
    const r = parseQuery(msg);
    if (!r.ok) throw new Error(r.failure.reason);
    expect(r.query.qname).toBe('www.example.org');
    expect(r.query.recursionDesired).toBe(false);
    expect(msg.subarray(12, r.query.questionEnd).toString('latin1')).toContain('ExAmPlE');
  });

  it.each([
    ['root', '00', ''],
    ['dot inside a label', '03612e6207' + Buffer.from('example').toString('hex') + '00', 'a\\.b.example'],
    ['backslash inside a label', '02615c0474657374' + '00', 'a\\\\.test'],
    ['ASCII only is folded, latin1 kept', '02c0410474657374' + '00', '\u00c0a.test'],
    ['non-printable bytes kept', '020001' + '00', '\u0000\u0001'],
  ])('renders the name: %s', (_label, wireName, qname) => {
    const r = parseQuery(hex(header(STD, 0, 1), wireName, A_IN));
    if (!r.ok) throw new Error(r.failure.reason);
    expect(r.query.qname).toBe(qname);
  });

  it('accepts a name of exactly 255 octets', () => {
    const labels = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    const wire = encodeName(labels);
    expect(wire.length).toBe(255);
    const r = parseQuery(hex(header(STD, 0, 1), wire.toString('hex'), A_IN));
    if (!r.ok) throw new Error(r.failure.reason);
    expect(r.query.qname).toBe(labels);
  });

  it('reads the OPT record: payload size, version, DO', () => {
    const msg = buildQuery({ name: 'example.org', type: TYPE.A, edns: { udpSize: 4096, dnssecOk: true } });
    const r = parseQuery(msg);
    if (!r.ok) throw new Error(r.failure.reason);
    expect(r.query.edns).toEqual({ udpSize: 4096, version: 0, dnssecOk: true });
    expect(r.query.questionEnd).toBe(msg.length - 11);
  });

  it('reads an OPT with options (cookie) and tolerates well-formed ANSWER/AUTHORITY records before it', () => {
    const rr = 'c00c' + A_IN + '0000003c' + '0004' + '7f000001';
    const cookie = '000a0008' + '0102030405060708';
    const opt = '00' + '0029' + '0200' + '00008000' + '000c' + cookie;
    const r = parseQuery(hex(header(STD, 0, 1, 1, 1, 2), name('example.org'), A_IN, rr, rr, rr, opt));
    if (!r.ok) throw new Error(r.failure.reason);
    expect(r.query.edns).toEqual({ udpSize: 512, version: 0, dnssecOk: true });
  });

  it('ignores bytes after the counted records', () => {
    const r = parseQuery(hex(header(STD, 0, 1), name('example.org'), A_IN, 'deadbeef'));
    expect(r.ok).toBe(true);
  });
});

describe('parseQuery: malformed messages', () => {
  const q = name('example.org') + A_IN;
  // [case, message hex, action, rcode (reply only), question echoed, part of the reason]
  const cases: [string, string, 'drop' | 'reply', number, boolean, string][] = [
    ['empty', '', 'drop', 0, false, 'shorter'],
    ['5 bytes', '1234010000', 'drop', 0, false, 'shorter'],
    ['11 bytes', header(STD, 0, 1).slice(0, 22), 'drop', 0, false, 'shorter'],
    ['QR=1 (a response)', header(0x81, 0x80, 1) + q, 'drop', 0, false, 'QR=1'],
    ['opcode 2 (STATUS)', header(0x10 | STD, 0, 1) + q, 'reply', RCODE.NOTIMP, true, 'opcode 2'],
    ['opcode 4 (NOTIFY) without question', header(0x20, 0, 0), 'reply', RCODE.NOTIMP, false, 'opcode 4'],
    ['opcode 5 with a broken question', header(0x28, 0, 1) + '05ab', 'reply', RCODE.NOTIMP, false, 'opcode 5'],
    ['QDCOUNT 0', header(STD, 0, 0), 'reply', RCODE.FORMERR, false, 'QDCOUNT=0'],
    ['QDCOUNT 2', header(STD, 0, 2) + q + q, 'reply', RCODE.FORMERR, false, 'QDCOUNT>1'],
    ['QDCOUNT 1 but no question', header(STD, 0, 1), 'reply', RCODE.FORMERR, false, 'past the end'],
    ['pointer loop (c00c at 12)', header(STD, 0, 1) + 'c00c' + A_IN, 'reply', RCODE.FORMERR, false, 'pointer'],
    ['pointer past the end', header(STD, 0, 1) + '01' + '61' + 'c0ff' + A_IN, 'reply', RCODE.FORMERR, false, 'pointer'],
    ['pointer cut in half', header(STD, 0, 1) + 'c0', 'reply', RCODE.FORMERR, false, 'pointer'],
    ['label length 64', header(STD, 0, 1) + '40' + '61'.repeat(64) + '00' + A_IN, 'reply', RCODE.FORMERR, false, '63 octets'],
    ['label type 0x40 (extended)', header(STD, 0, 1) + '41' + '00' + A_IN, 'reply', RCODE.FORMERR, false, 'type'],
    ['label type 0x80', header(STD, 0, 1) + '80' + '00' + A_IN, 'reply', RCODE.FORMERR, false, 'type'],
    ['label runs past the end', header(STD, 0, 1) + '0a' + '6162', 'reply', RCODE.FORMERR, false, 'past the end'],
    ['no root label', header(STD, 0, 1) + '0161', 'reply', RCODE.FORMERR, false, 'past the end'],
    [
      'name of 256 octets',
      header(STD, 0, 1) + name(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}`).slice(0, -2) + '0165' + '00' + A_IN,
      'reply',
      RCODE.FORMERR,
      false,
      '255',
    ],
    ['truncated QTYPE', header(STD, 0, 1) + name('example.org') + '00', 'reply', RCODE.FORMERR, false, 'QTYPE'],
    ['missing QCLASS', header(STD, 0, 1) + name('example.org') + '0001', 'reply', RCODE.FORMERR, false, 'QCLASS'],
    ['ARCOUNT 1, nothing there', header(STD, 0, 1, 0, 0, 1) + q, 'reply', RCODE.FORMERR, false, 'record'],
    ['ANCOUNT 1, record cut short', header(STD, 0, 1, 1) + q + 'c00c0001', 'reply', RCODE.FORMERR, false, 'record'],
    ['record RDLENGTH past the end', header(STD, 0, 1, 0, 0, 1) + q + '00' + '0010' + '0001' + '00000000' + '0009' + '00', 'reply', RCODE.FORMERR, false, 'record'],
    ['record owner with a forward pointer', header(STD, 0, 1, 1) + q + 'c0ff' + A_IN + '00000000' + '0000', 'reply', RCODE.FORMERR, false, 'record'],
    ['two OPT records', header(STD, 0, 1, 0, 0, 2) + q + OPT0 + OPT0, 'reply', RCODE.FORMERR, false, 'more than one OPT'],
    ['OPT owned by a non-root name', header(STD, 0, 1, 0, 0, 1) + q + '0161' + '00' + OPT0.slice(2), 'reply', RCODE.FORMERR, false, 'not the root'],
    ['OPT owned by a pointer', header(STD, 0, 1, 0, 0, 1) + q + 'c018' + OPT0.slice(2), 'reply', RCODE.FORMERR, false, 'not the root'],
    ['OPT option overruns its RDATA', header(STD, 0, 1, 0, 0, 1) + q + OPT0.slice(0, -4) + '0006' + '000a0004' + '0102', 'reply', RCODE.FORMERR, false, 'options'],
    ['OPT version 1', header(STD, 0, 1, 0, 0, 1) + q + OPT_V1, 'reply', RCODE.BADVERS, true, 'version 1'],
  ];

  it.each(cases)('%s', (_label, wire, action, rcode, echoed, reason) => {
    const msg = Buffer.from(wire, 'hex');
    const failure = failureOf(parseQuery(msg));
    expect(failure.action).toBe(action);
    expect(failure.reason).toContain(reason);
    if (failure.action !== 'reply') return;
    expect(failure.rcode).toBe(rcode);
    expect(failure.questionEnd > 0).toBe(echoed);
    if (echoed) expect(failure.questionEnd).toBe(12 + q.length / 2);

    // The reply built from the failure is a well-formed answer with that RCODE.
    const reply = errorReply(msg, failure, 1232);
    const p = Packet.parse(reply);
    expect(p.errors).toEqual([]);
    expect(p.header.id).toBe(0x1234);
    expect(p.header.qr).toBe(1);
    expect(p.header.rcode).toBe(rcode);
    expect(p.questions.length).toBe(echoed ? 1 : 0);
    if (echoed) expect(p.questions[0]?.name).toBe('example.org');
  });

  it('BADVERS carries the query EDNS so the reply gets an OPT with the upper RCODE bits', () => {
    const msg = hex(header(STD, 0, 1, 0, 0, 1), name('example.org'), A_IN, OPT_V1);
    const failure = failureOf(parseQuery(msg));
    if (failure.action !== 'reply') throw new Error('expected reply');
    expect(failure.edns).toEqual({ udpSize: 1232, version: 1, dnssecOk: false });
  });

  it('NOTIMP keeps the EDNS of a query whose question and OPT are sound', () => {
    const msg = buildQuery({ name: 'example.org', type: TYPE.SOA, edns: { udpSize: 1400, dnssecOk: true } });
    msg[2] = 0x20; // opcode 4, NOTIFY
    const failure = failureOf(parseQuery(msg));
    if (failure.action !== 'reply') throw new Error('expected reply');
    expect(failure.rcode).toBe(RCODE.NOTIMP);
    expect(failure.edns).toEqual({ udpSize: 1400, version: 0, dnssecOk: true });
  });

  it('the same failure object is shared for content-free failures (no allocation on junk floods)', () => {
    expect(parseQuery(Buffer.alloc(3))).toBe(parseQuery(Buffer.alloc(5)));
  });
});

/** Deterministic PRNG (mulberry32), so a fuzz failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('parseQuery: fuzz', () => {
  const seeds = [
    buildQuery({ id: 1, name: 'www.example.org', type: TYPE.A }),
    buildQuery({ id: 2, name: 'Mixed.Case.Example.NET', type: TYPE.HTTPS, edns: { udpSize: 1232, dnssecOk: true } }),
    buildQuery({
      id: 3,
      name: 'localhost',
      type: TYPE.AAAA,
      edns: { udpSize: 4096, options: [{ code: 10, data: Buffer.alloc(8, 7) }] },
    }),
    buildQuery({ id: 4, name: '1.0.0.127.in-addr.arpa', type: TYPE.PTR }),
  ];

  it('never throws on 10k random and mutated messages, and every outcome can be answered', () => {
    const rnd = prng(0x5eed);
    const int = (n: number): number => Math.floor(rnd() * n);
    let ok = 0;
    let replies = 0;
    for (let i = 0; i < 10_000; i++) {
      let msg: Buffer;
      if (i % 4 === 0) {
        msg = Buffer.alloc(int(300));
        for (let j = 0; j < msg.length; j++) msg[j] = int(256);
        if (msg.length > 5 && rnd() < 0.5) {
          msg[2] = msg[2]! & 0x7f; // mostly queries, to get past the first checks
          msg[4] = 0;
          msg[5] = 1;
        }
      } else {
        const seed = seeds[i % seeds.length]!;
        msg = Buffer.from(seed);
        const flips = 1 + int(4);
        for (let f = 0; f < flips; f++) msg[int(msg.length)] = rnd() < 0.3 ? 0xc0 | int(64) : int(256);
        if (rnd() < 0.3) msg = msg.subarray(0, int(msg.length + 1));
        if (rnd() < 0.2) msg = Buffer.concat([msg, Buffer.from([int(256), int(256), int(256)])]);
      }
      const r = parseQuery(msg);
      if (r.ok) {
        ok++;
        expect(r.query.questionEnd).toBeLessThanOrEqual(msg.length);
        // Whatever parses must be answerable without throwing, by the builders downstream.
        const answer = sinkholeAnswer(msg, r.query, {
          mode: 'nxdomain',
          ttlSec: 60,
          ipv4: null,
          ipv6: null,
          udpSize: 1232,
          ede: { text: 'blocked' },
          zone: 'example.org',
        });
        expect(answer.readUInt16BE(4)).toBe(1);
        localAnswer(msg, r.query, 1232);
      } else if (r.failure.action === 'reply') {
        replies++;
        const reply = errorReply(msg, r.failure, 1232);
        expect(reply.length).toBeGreaterThanOrEqual(12);
      }
    }
    // The mutations must reach every outcome, or the fuzz proves little.
    expect(ok).toBeGreaterThan(500);
    expect(replies).toBeGreaterThan(500);
  });
});
