/** Tests for src/dns/answer-check.ts: the one walk over an upstream answer, its layout and each malformed shape it refuses. */
import { describe, expect, it } from 'vitest';
import { checkAnswer, wellFormedPart } from '../../src/dns/answer-check.js';
import { TYPE } from '../../src/dns/constants.js';
import { buildQuery, encodeName } from '../../src/dns/query-builder.js';

const query = buildQuery({ id: 7, name: 'www.example.org', type: TYPE.A });
const questionEnd = query.length;
const question = query.subarray(12, questionEnd);
const PTR_QNAME = Buffer.from('c00c', 'hex');

function rr(owner: Buffer, type: number, rdata: Buffer, ttl = 300): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(1, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, fixed, rdata]);
}

function opt(version = 0, options = Buffer.alloc(0)): Buffer {
  const b = rr(Buffer.from([0]), TYPE.OPT, options, (version << 16) >>> 0);
  b.writeUInt16BE(1232, 3);
  return b;
}

function soa(ttl: number, minimum: number): Buffer {
  const tail = Buffer.alloc(20);
  tail.writeUInt32BE(minimum, 16);
  return rr(encodeName('example.org'), TYPE.SOA, Buffer.concat([encodeName('ns.example.org'), encodeName('host.example.org'), tail]), ttl);
}

function reply(an: Buffer[], ns: Buffer[] = [], ar: Buffer[] = [], rcode = 0): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(7, 0);
  h.writeUInt16BE(0x8180 | rcode, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(an.length, 6);
  h.writeUInt16BE(ns.length, 8);
  h.writeUInt16BE(ar.length, 10);
  return Buffer.concat([h, question, ...an, ...ns, ...ar]);
}

const A = (ttl: number): Buffer => rr(PTR_QNAME, TYPE.A, Buffer.from([192, 0, 2, 1]), ttl);

describe('checkAnswer: the layout of a well-formed answer', () => {
  it('finds every TTL but the OPT one, the smallest answer TTL and the OPT', () => {
    const o = opt();
    const msg = reply([rr(PTR_QNAME, TYPE.CNAME, encodeName('edge.example.net'), 600), A(120)], [], [o, A(50)]);
    const layout = checkAnswer(msg, questionEnd);
    expect(layout).not.toBeNull();
    expect([...layout!.ttls]).toEqual([600, 120, 50]);
    expect(layout!.offsets).toHaveLength(3);
    for (const [i, off] of [...layout!.offsets].entries()) expect(msg.readUInt32BE(off)).toBe(layout!.ttls[i]);
    expect(layout!.answerMin).toBe(120);
    expect(layout!.negativeTtl).toBe(-1);
    expect(msg.subarray(layout!.optStart, layout!.optEnd)).toEqual(o);
  });

  it('reads a negative answer SOA (RFC 2308) and TTLs with the top bit set as 0', () => {
    const layout = checkAnswer(reply([], [soa(3600, 300)], [], 3), questionEnd);
    expect(layout).toMatchObject({ answerMin: -1, negativeTtl: 300, optStart: -1, optEnd: -1 });
    expect([...checkAnswer(reply([A(0x80000001)]), questionEnd)!.ttls]).toEqual([0]);
  });

  it('accepts names compressed in RDATA (NS, MX) and an empty answer', () => {
    const mx = Buffer.concat([Buffer.from([0, 10]), PTR_QNAME]);
    expect(checkAnswer(reply([rr(PTR_QNAME, TYPE.MX, mx)], [rr(Buffer.from('c010', 'hex'), TYPE.NS, PTR_QNAME)]), questionEnd)).not.toBeNull();
    expect(checkAnswer(reply([]), questionEnd)).not.toBeNull();
  });
});

describe('checkAnswer: bytes after the last record', () => {
  it('are reported in length and cut off by wellFormedPart, the records before them kept', () => {
    const sound = reply([A(300)], [], [opt()]);
    const msg = Buffer.concat([sound, Buffer.from('trailing')]);
    const layout = checkAnswer(msg, questionEnd);
    expect(layout?.length).toBe(sound.length);
    expect(wellFormedPart(msg, layout!)).toEqual(sound);
    const plain = checkAnswer(sound, questionEnd)!;
    expect(plain.length).toBe(sound.length);
    expect(wellFormedPart(sound, plain)).toBe(sound);
  });
});

describe('checkAnswer refuses malformed answers', () => {
  const a = reply([A(300)]);
  const at = questionEnd; // the answer record
  const patched = (msg: Buffer, off: number, bytes: number[]): Buffer => {
    const b = Buffer.from(msg);
    Buffer.from(bytes).copy(b, off);
    return b;
  };
  it.each([
    ['an RDLENGTH past the end', patched(a, at + 10, [0, 200])],
    ['an owner pointing to itself', patched(a, at, [0xc0 | (at >> 8), at & 0xff])],
    ['an owner pointing forward', patched(a, at, [0xc0, at + 4])],
    ['ANCOUNT 65535 with one record', patched(a, 6, [0xff, 0xff])],
    ['a count one higher than the records', patched(a, 6, [0, 2])],
    ['a cut record', a.subarray(0, a.length - 1)],
    ['not a response', patched(a, 2, [0x01])],
    ['OPT with EDNS version 255', reply([A(300)], [], [opt(255)])],
    ['two OPT records', reply([A(300)], [], [opt(), opt()])],
    ['an OPT in the answer section', reply([opt()])],
    ['an OPT not owned by the root', reply([A(300)], [], [Buffer.concat([PTR_QNAME, opt().subarray(1)])])],
    ['OPT options that overrun its RDATA', reply([A(300)], [], [opt(0, Buffer.from('000a0010abcd', 'hex'))])],
    ['a CNAME whose target points to itself', reply([rr(PTR_QNAME, TYPE.CNAME, Buffer.from([0xc0, at + 12]))])],
    ['a CNAME with bytes after its target', reply([rr(PTR_QNAME, TYPE.CNAME, Buffer.concat([encodeName('a.example'), Buffer.from([1])]))])],
    ['an SOA with a short fixed part', reply([], [rr(encodeName('example.org'), TYPE.SOA, Buffer.concat([encodeName('ns'), encodeName('host'), Buffer.alloc(19)]))], [], 3)],
    ['an MX without a name', reply([rr(PTR_QNAME, TYPE.MX, Buffer.from([0, 10]))])],
  ])('%s', (_what, msg) => {
    expect(checkAnswer(msg, questionEnd)).toBeNull();
  });

  it('survives random bytes after a valid question without throwing', () => {
    let seed = 9;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 5000; i++) {
      const body = Buffer.from(Array.from({ length: Math.floor(rand() * 80) }, () => Math.floor(rand() * 256)));
      const msg = Buffer.concat([reply([]), body]);
      msg.writeUInt16BE(Math.floor(rand() * 4), 6);
      msg.writeUInt16BE(Math.floor(rand() * 3), 10);
      const layout = checkAnswer(msg, questionEnd);
      if (layout !== null) for (const off of layout.offsets) expect(off + 4).toBeLessThanOrEqual(msg.length);
    }
  });
});
