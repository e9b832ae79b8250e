/** Tests for src/dns/sinkhole-answer.ts: sinkholeAnswer in every mode, SOA owner choice, EDNS/EDE and TTL handling, decoded with dns2. */

import dns2 from 'dns2';
import { describe, expect, it } from 'vitest';
import { RCODE, TYPE } from '../../src/dns/constants.js';
import { buildQuery } from '../../src/dns/query-builder.js';
import { parseQuery } from '../../src/dns/query.js';
import { skipRecords } from '../../src/dns/record-walk.js';
import { sinkholeAnswer, type SinkholeAnswerOptions } from '../../src/dns/sinkhole-answer.js';
import { zoneOwnerOffset } from '../../src/dns/soa.js';
import type { ParsedQuery } from '../../src/dns/types.js';

const { Packet } = dns2;

function parsed(msg: Buffer): ParsedQuery {
  const r = parseQuery(msg);
  if (!r.ok) throw new Error(r.failure.reason);
  return r.query;
}

const BASE: SinkholeAnswerOptions = {
  mode: 'nxdomain',
  ttlSec: 60,
  ipv4: null,
  ipv6: null,
  udpSize: 1232,
  ede: { text: 'blocked: deepseek (NÚKIB 2025-07-09)' },
};

/** Every record the counts promise is there, and nothing follows them. */
function expectExactLength(answer: Buffer, questionEnd: number): void {
  const records = answer.readUInt16BE(6) + answer.readUInt16BE(8) + answer.readUInt16BE(10);
  expect(skipRecords(answer, questionEnd, records)).toBe(answer.length);
}

function answerFor(name: string, type: number, opts: Partial<SinkholeAnswerOptions>, edns = false, dnssecOk = false) {
  const msg = buildQuery({ id: 0x5151, name, type, edns: edns ? { udpSize: 4096, dnssecOk } : null });
  const q = parsed(msg);
  const answer = sinkholeAnswer(msg, q, { ...BASE, ...opts });
  expectExactLength(answer, q.questionEnd);
  const p = Packet.parse(answer);
  expect(p.errors).toEqual([]);
  // Header and question echo, whatever the mode.
  expect(p.header).toMatchObject({ id: 0x5151, qr: 1, aa: 0, tc: 0, rd: 1, ra: 1, ad: 0, qdcount: 1 });
  expect(answer.subarray(12, q.questionEnd)).toEqual(msg.subarray(12, q.questionEnd));
  return { answer, p, q };
}

describe('sinkholeAnswer modes', () => {
  // [mode, qtype, options, rcode, answer data (null: none), SOA in AUTHORITY]
  const cases: [SinkholeAnswerOptions['mode'], number, Partial<SinkholeAnswerOptions>, number, string | null, boolean][] = [
    ['nxdomain', TYPE.A, {}, RCODE.NXDOMAIN, null, true],
    ['nxdomain', TYPE.HTTPS, {}, RCODE.NXDOMAIN, null, true],
    ['nodata', TYPE.A, {}, RCODE.NOERROR, null, true],
    ['nodata', TYPE.AAAA, {}, RCODE.NOERROR, null, true],
    ['refused', TYPE.A, {}, RCODE.REFUSED, null, false],
    ['null', TYPE.A, {}, RCODE.NOERROR, '0.0.0.0', false],
    ['null', TYPE.AAAA, {}, RCODE.NOERROR, '::', false],
    ['null', TYPE.MX, {}, RCODE.NOERROR, null, true],
    ['null', TYPE.HTTPS, {}, RCODE.NOERROR, null, true],
    ['ip', TYPE.A, { ipv4: '192.0.2.10', ipv6: '2001:db8::10' }, RCODE.NOERROR, '192.0.2.10', false],
    ['ip', TYPE.AAAA, { ipv4: '192.0.2.10', ipv6: '2001:db8::10' }, RCODE.NOERROR, '2001:db8::10', false],
    ['ip', TYPE.AAAA, { ipv4: '192.0.2.10', ipv6: null }, RCODE.NOERROR, null, true],
    ['ip', TYPE.A, { ipv4: null, ipv6: '2001:db8::10' }, RCODE.NOERROR, null, true],
    ['ip', TYPE.A, { ipv4: 'not-an-ip', ipv6: null }, RCODE.NOERROR, null, true],
    ['ip', TYPE.TXT, { ipv4: '192.0.2.10', ipv6: '2001:db8::10' }, RCODE.NOERROR, null, true],
  ];

  it.each(cases)('%s %i', (mode, qtype, opts, rcode, data, soa) => {
    const { p } = answerFor('chat.deepseek.com', qtype, { mode, ...opts });
    expect(p.header.rcode).toBe(rcode);
    expect(p.header.arcount).toBe(0); // the query had no EDNS
    if (data === null) expect(p.answers).toEqual([]);
    else {
      expect(p.answers).toHaveLength(1);
      expect(p.answers[0]).toMatchObject({ name: 'chat.deepseek.com', type: qtype, class: 1, ttl: 60, address: data });
    }
    expect(p.authorities).toHaveLength(soa ? 1 : 0);
    if (soa) {
      expect(p.authorities[0]).toMatchObject({
        name: 'chat.deepseek.com',
        type: TYPE.SOA,
        class: 1,
        ttl: 60,
        primary: 'hradba.invalid',
        admin: 'hostmaster.hradba.invalid',
        serial: 1,
        minimum: 60,
      });
    }
  });

  it('answers A with the configured address also for a client that changed it between calls', () => {
    expect(answerFor('x.example.org', TYPE.A, { mode: 'ip', ipv4: '192.0.2.1' }).p.answers[0]?.address).toBe('192.0.2.1');
    expect(answerFor('x.example.org', TYPE.A, { mode: 'ip', ipv4: '192.0.2.2' }).p.answers[0]?.address).toBe('192.0.2.2');
  });

  it('answers NODATA to a non-IN class even in address modes', () => {
    const msg = buildQuery({ name: 'x.example.org', type: TYPE.A, qclass: 3 });
    const p = Packet.parse(sinkholeAnswer(msg, parsed(msg), { ...BASE, mode: 'null' }));
    expect(p.answers).toEqual([]);
    expect(p.authorities).toHaveLength(1);
  });
});

describe('sinkholeAnswer SOA owner', () => {
  it.each([
    ['the matched zone, in the case the client sent', 'Chat.DeepSeek.com', 'deepseek.com', 'DeepSeek.com'],
    ['the query name when the zone is the name', 'deepseek.com', 'deepseek.com', 'deepseek.com'],
    ['the query name when the zone is not a suffix', 'chat.deepseek.com', 'example.org', 'chat.deepseek.com'],
    ['the query name when the zone only ends like it', 'chat.notdeepseek.com', 'deepseek.com', 'chat.notdeepseek.com'],
    ['the query name when no zone is given', 'chat.deepseek.com', null, 'chat.deepseek.com'],
    ['the root for the root zone', 'chat.deepseek.com', '', ''],
  ])('%s', (_label, qname, zone, owner) => {
    const { p } = answerFor(qname, TYPE.A, { mode: 'nxdomain', zone });
    expect(p.authorities[0]).toMatchObject({ name: owner, type: TYPE.SOA });
  });
});

describe('sinkholeAnswer SOA owner, read off the parsed name', () => {
  /** A query for the name made of these raw labels (a label may hold a '.' or '\\' octet, which the parsed name escapes). */
  function rawQuery(labels: readonly string[]): Buffer {
    const name = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
    const msg = Buffer.concat([Buffer.from([0x51, 0x51, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0]), name, Buffer.from([0, TYPE.A, 0, 1])]);
    return msg;
  }

  /** The SOA owner of the answer: the offset its compression pointer names. */
  function soaOwnerOffset(answer: Buffer, questionEnd: number): number {
    return ((answer[questionEnd]! & 0x3f) << 8) | answer[questionEnd + 1]!;
  }

  it.each([
    [['chat', 'deepseek', 'com'], 'deepseek.com'],
    [['Chat', 'DeepSeek', 'COM'], 'deepseek.com'],
    [['deepseek', 'com'], 'deepseek.com'],
    [['chat', 'notdeepseek', 'com'], 'deepseek.com'],
    // The escaped dot is no label boundary: 'b.deepseek.com' ends the name as text, not as labels.
    [['a.b', 'deepseek', 'com'], 'b.deepseek.com'],
    [['a.b', 'deepseek', 'com'], 'deepseek.com'],
    [['a.b', 'deepseek', 'com'], 'a\\.b.deepseek.com'],
    [['x\\y', 'deepseek', 'com'], 'deepseek.com'],
  ])('%j with zone %j: the same owner the wire walk finds', (labels, zone) => {
    const msg = rawQuery(labels);
    const q = parsed(msg);
    const answer = sinkholeAnswer(msg, q, { ...BASE, zone });
    expectExactLength(answer, q.questionEnd);
    const walked = zoneOwnerOffset(msg, q.questionEnd, zone);
    expect(soaOwnerOffset(answer, q.questionEnd)).toBe(walked >= 0 ? walked : 12);
  });

  it('owns the SOA by the label where the zone starts, an escaped dot before it or not', () => {
    const msg = rawQuery(['a.b', 'deepseek', 'com']);
    const q = parsed(msg);
    expect(q.qname).toBe('a\\.b.deepseek.com');
    // 12 + 1 + 3: the length octet of 'deepseek'.
    expect(soaOwnerOffset(sinkholeAnswer(msg, q, { ...BASE, zone: 'deepseek.com' }), q.questionEnd)).toBe(16);
    // Not a label suffix: the query name owns it.
    expect(soaOwnerOffset(sinkholeAnswer(msg, q, { ...BASE, zone: 'b.deepseek.com' }), q.questionEnd)).toBe(12);
  });
});

describe('sinkholeAnswer EDNS', () => {
  it('adds OPT with EDE 15 and the text for an EDNS query, DO echoed', () => {
    const { p } = answerFor('chat.deepseek.com', TYPE.A, { mode: 'nxdomain' }, true, true);
    expect(p.header.arcount).toBe(1);
    expect(p.additionals[0]).toMatchObject({ type: 41, class: 1232, doFlag: true, version: 0 });
    expect(p.additionals[0]?.rdata).toEqual([{ ednsCode: 15, infoCode: 15, extraText: BASE.ede?.text }]);
  });

  it('adds EDE to REFUSED and to address answers as well', () => {
    for (const mode of ['refused', 'null'] as const) {
      const { p } = answerFor('chat.deepseek.com', TYPE.A, { mode }, true);
      expect(p.additionals[0]?.rdata).toEqual([{ ednsCode: 15, infoCode: 15, extraText: BASE.ede?.text }]);
    }
  });

  it('adds an OPT without options when EDE is off', () => {
    const { p } = answerFor('chat.deepseek.com', TYPE.A, { mode: 'nxdomain', ede: null }, true);
    expect(p.additionals[0]).toMatchObject({ type: 41, doFlag: false, rdata: [] });
  });

  it('sends no OPT (and so no EDE) to a classic query', () => {
    const { answer, q } = answerFor('chat.deepseek.com', TYPE.A, { mode: 'nxdomain' });
    expect(answer.readUInt16BE(10)).toBe(0);
    expect(answer.length).toBe(q.questionEnd + 2 + 10 + 49);
  });
});

describe('sinkholeAnswer TTL', () => {
  it.each([
    [0, 0],
    [-5, 0],
    [Number.NaN, 0],
    [59.9, 59],
    [2 ** 40, 2 ** 31 - 1],
  ])('ttlSec %d is written as %d', (ttlSec, wire) => {
    const { p } = answerFor('x.example.org', TYPE.A, { mode: 'null', ttlSec });
    expect(p.answers[0]?.ttl).toBe(wire);
    const nx = answerFor('x.example.org', TYPE.A, { mode: 'nxdomain', ttlSec }).p;
    expect(nx.authorities[0]).toMatchObject({ ttl: wire, minimum: wire });
  });
});
