/** Tests for src/dns/local-zone.ts: isLocalZone and localAnswer: localhost, RFC 6303 reverse zones, invalid, onion; decoded with dns2. */

import dns2 from 'dns2';
import { describe, expect, it } from 'vitest';
import { RCODE, TYPE } from '../../src/dns/constants.js';
import { LOCAL_TTL_SEC, isLocalZone, localAnswer } from '../../src/dns/local-zone.js';
import { buildQuery } from '../../src/dns/query-builder.js';
import { parseQuery } from '../../src/dns/query.js';
import { skipRecords } from '../../src/dns/record-walk.js';

const { Packet } = dns2;

const IP6_LOOPBACK = `1.${'0.'.repeat(31)}ip6.arpa`;
const IP6_UNSPECIFIED = `${'0.'.repeat(32)}ip6.arpa`;

describe('isLocalZone', () => {
  it.each([
    ['localhost', 'localhost'],
    ['www.localhost', 'localhost'],
    ['a.b.c.localhost', 'localhost'],
    ['notlocalhost', null],
    ['localhost.example.org', null],
    ['a\\.localhost', null], // one label "a.localhost": not under localhost
    ['a\\\\.localhost', 'localhost'], // label "a\" then localhost
    ['invalid', 'invalid'],
    ['anything.invalid', 'invalid'],
    ['duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion', 'onion'],
    ['test', 'test'], // RFC 6761 §6.2: answered locally unless forward.testNames
    ['www.example.test', 'test'],
    ['contest', null],
    ['test.example.org', null],
    ['example.org', null],
    ['', null],
    ['arpa', null],
    ['in-addr.arpa', null],
    ['4.3.2.1.in-addr.arpa', null],
    ['10.in-addr.arpa', '10.in-addr.arpa'],
    ['4.3.2.10.in-addr.arpa', '10.in-addr.arpa'],
    ['1.1.16.172.in-addr.arpa', '16.172.in-addr.arpa'],
    ['1.1.31.172.in-addr.arpa', '31.172.in-addr.arpa'],
    ['1.1.15.172.in-addr.arpa', null],
    ['1.1.32.172.in-addr.arpa', null],
    ['2.1.168.192.in-addr.arpa', '168.192.in-addr.arpa'],
    ['2.1.169.192.in-addr.arpa', null],
    ['1.0.0.127.in-addr.arpa', '127.in-addr.arpa'],
    ['1.2.254.169.in-addr.arpa', '254.169.in-addr.arpa'],
    ['1.2.3.0.in-addr.arpa', '0.in-addr.arpa'],
    ['255.255.255.255.in-addr.arpa', '255.255.255.255.in-addr.arpa'],
    ['1.255.255.255.in-addr.arpa', null],
    ['1.2.3.d.f.ip6.arpa', 'd.f.ip6.arpa'],
    ['1.8.e.f.ip6.arpa', '8.e.f.ip6.arpa'],
    ['1.b.e.f.ip6.arpa', 'b.e.f.ip6.arpa'],
    ['1.c.e.f.ip6.arpa', null],
    [IP6_LOOPBACK, IP6_LOOPBACK],
    [IP6_UNSPECIFIED, IP6_UNSPECIFIED],
    [`2.${'0.'.repeat(31)}ip6.arpa`, null],
    ['8.b.d.0.1.0.0.2.ip6.arpa', null],
  ])('%s → %s', (qname, zone) => {
    expect(isLocalZone(qname)).toBe(zone);
  });

  it('sends names under test. upstream when forward.testNames is on, and nothing else changes', () => {
    expect(isLocalZone('www.example.test', true)).toBeNull();
    expect(isLocalZone('test', true)).toBeNull();
    expect(isLocalZone('a.invalid', true)).toBe('invalid');
    expect(isLocalZone('localhost', true)).toBe('localhost');
  });
});

function answer(name: string, type: number, opts: { edns?: boolean; dnssecOk?: boolean; qclass?: number } = {}) {
  const msg = buildQuery({
    id: 0x6161,
    name,
    type,
    qclass: opts.qclass,
    edns: opts.edns === true ? { udpSize: 4096, dnssecOk: opts.dnssecOk } : null,
  });
  const r = parseQuery(msg);
  if (!r.ok) throw new Error(r.failure.reason);
  const out = localAnswer(msg, r.query, 1232);
  if (out === null) return null;
  const records = out.readUInt16BE(6) + out.readUInt16BE(8) + out.readUInt16BE(10);
  expect(skipRecords(out, r.query.questionEnd, records)).toBe(out.length);
  const p = Packet.parse(out);
  expect(p.errors).toEqual([]);
  expect(p.header).toMatchObject({ id: 0x6161, qr: 1, ra: 1, rd: 1, aa: 0, qdcount: 1 });
  expect(p.questions[0]?.name).toBe(name);
  return p;
}

describe('localAnswer', () => {
  // [qname, qtype, rcode, answer (type and data), SOA owner in AUTHORITY (null: none)]
  const cases: [string, number, number, { type: number; data: string } | null, string | null][] = [
    ['localhost', TYPE.A, RCODE.NOERROR, { type: TYPE.A, data: '127.0.0.1' }, null],
    ['localhost', TYPE.AAAA, RCODE.NOERROR, { type: TYPE.AAAA, data: '::1' }, null],
    ['Printer.LocalHost', TYPE.A, RCODE.NOERROR, { type: TYPE.A, data: '127.0.0.1' }, null],
    ['localhost', TYPE.MX, RCODE.NOERROR, null, 'localhost'],
    ['Printer.LocalHost', TYPE.HTTPS, RCODE.NOERROR, null, 'LocalHost'],
    ['1.0.0.127.in-addr.arpa', TYPE.PTR, RCODE.NOERROR, { type: TYPE.PTR, data: 'localhost' }, null],
    ['1.0.0.127.in-addr.arpa', TYPE.A, RCODE.NOERROR, null, '127.in-addr.arpa'],
    ['0.127.in-addr.arpa', TYPE.PTR, RCODE.NOERROR, null, '127.in-addr.arpa'], // empty non-terminal
    ['0.0.127.in-addr.arpa', TYPE.PTR, RCODE.NOERROR, null, '127.in-addr.arpa'],
    ['2.0.0.127.in-addr.arpa', TYPE.PTR, RCODE.NXDOMAIN, null, '127.in-addr.arpa'],
    ['127.in-addr.arpa', TYPE.PTR, RCODE.NOERROR, null, '127.in-addr.arpa'],
    ['4.3.2.10.in-addr.arpa', TYPE.PTR, RCODE.NXDOMAIN, null, '10.in-addr.arpa'],
    ['1.1.168.192.IN-ADDR.ARPA', TYPE.PTR, RCODE.NXDOMAIN, null, '168.192.IN-ADDR.ARPA'],
    ['1.1.20.172.in-addr.arpa', TYPE.PTR, RCODE.NXDOMAIN, null, '20.172.in-addr.arpa'],
    [IP6_LOOPBACK, TYPE.PTR, RCODE.NOERROR, { type: TYPE.PTR, data: 'localhost' }, null],
    [IP6_UNSPECIFIED, TYPE.PTR, RCODE.NOERROR, null, IP6_UNSPECIFIED],
    ['1.2.3.d.f.ip6.arpa', TYPE.PTR, RCODE.NXDOMAIN, null, 'd.f.ip6.arpa'],
    ['x.invalid', TYPE.A, RCODE.NXDOMAIN, null, 'invalid'],
    ['invalid', TYPE.A, RCODE.NOERROR, null, 'invalid'],
    ['hidden.service.onion', TYPE.AAAA, RCODE.NXDOMAIN, null, 'onion'],
  ];

  it.each(cases)('%s %i', (qname, qtype, rcode, data, soaOwner) => {
    const p = answer(qname, qtype);
    if (p === null) throw new Error('not local');
    expect(p.header.rcode).toBe(rcode);
    expect(p.additionals).toEqual([]);
    if (data === null) expect(p.answers).toEqual([]);
    else {
      expect(p.answers).toHaveLength(1);
      const rr = p.answers[0];
      expect(rr).toMatchObject({ name: qname, type: data.type, class: 1, ttl: LOCAL_TTL_SEC });
      expect(data.type === TYPE.PTR ? rr?.domain : rr?.address).toBe(data.data);
    }
    if (soaOwner === null) expect(p.authorities).toEqual([]);
    else {
      expect(p.authorities).toHaveLength(1);
      expect(p.authorities[0]).toMatchObject({
        name: soaOwner,
        type: TYPE.SOA,
        ttl: LOCAL_TTL_SEC,
        minimum: LOCAL_TTL_SEC,
        primary: 'hradba.invalid',
      });
    }
  });

  it.each(['localhost', '127.in-addr.arpa', 'onion'])('answers SOA at the apex of %s in ANSWER', (zone) => {
    const p = answer(zone, TYPE.SOA);
    expect(p?.header.rcode).toBe(RCODE.NOERROR);
    expect(p?.answers).toHaveLength(1);
    expect(p?.answers[0]).toMatchObject({ name: zone, type: TYPE.SOA });
    expect(p?.authorities).toEqual([]);
  });

  it('adds an OPT without options for an EDNS query, DO echoed', () => {
    const p = answer('localhost', TYPE.A, { edns: true, dnssecOk: true });
    expect(p?.additionals).toHaveLength(1);
    expect(p?.additionals[0]).toMatchObject({ type: 41, class: 1232, doFlag: true, rdata: [] });
  });

  it('gives no records for another class (NODATA)', () => {
    const p = answer('localhost', TYPE.A, { qclass: 3 });
    expect(p?.answers).toEqual([]);
    expect(p?.authorities).toHaveLength(1);
  });

  it.each(['example.org', '8.8.8.8.in-addr.arpa'])('returns null for %s (goes upstream)', (qname) => {
    expect(answer(qname, TYPE.A)).toBeNull();
  });

  it('answers a name under test. with NXDOMAIN and the SOA of test., unless test names go upstream', () => {
    const p = answer('www.example.test', TYPE.A);
    expect(p?.header.rcode).toBe(3);
    expect(p?.authorities.map((r) => r.name)).toEqual(['test']);
    const msg = buildQuery({ id: 1, name: 'www.example.test', type: TYPE.A, qclass: undefined, edns: null });
    const r = parseQuery(msg);
    if (!r.ok) throw new Error(r.failure.reason);
    expect(localAnswer(msg, r.query, 1232, true)).toBeNull();
  });
});
