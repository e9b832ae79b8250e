/** What reaches the upstream and what comes back: ECS stripped (unless configured), DO/CD passed on, AD and RRSIGs relayed. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, parseDig } from '../helpers/dig.js';
import { buildReply, record, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

/** The option codes in the OPT record of a query (walks the additional section of a one-question message). */
function optionCodes(query: Buffer): number[] {
  let at = 12;
  while (query[at] !== 0) at += query[at]! + 1;
  at += 5; // root label + QTYPE + QCLASS
  const codes: number[] = [];
  const ar = query.readUInt16BE(10);
  for (let i = 0; i < ar; i++) {
    if (query[at] !== 0) throw new Error('test helper expects root-owned additional records');
    const type = query.readUInt16BE(at + 1);
    const rdlength = query.readUInt16BE(at + 9);
    const rd = at + 11;
    if (type === 41) for (let o = rd; o + 4 <= rd + rdlength; o += 4 + query.readUInt16BE(o + 2)) codes.push(query.readUInt16BE(o));
    at = rd + rdlength;
  }
  return codes;
}

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream();
});

afterAll(async () => {
  await upstream?.close();
});

describe.each([
  { strip: true },
  { strip: false },
])('ecs.strip: $strip', ({ strip }) => {
  let h: HradbaProcess;

  beforeAll(async () => {
    h = await startHradba({
      config: testConfig(upstream.address.port, { ecs: { strip } }),
      lists: { [TEST_LIST]: testvendorList() },
    });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it(strip ? 'removes the client subnet before forwarding' : 'passes the client subnet on', async () => {
    const before = upstream.calls.length;
    const name = `ecs-${String(strip)}.example.org`;
    const run = parseDig((await dig({ port: h.port }, [name, 'A', '+subnet=192.0.2.0/24', '+cookie'])).stdout);
    expect(run.status).toBe('NOERROR');
    const sent = upstream.calls.slice(before).filter((c) => c.query.includes(Buffer.from(`ecs-${String(strip)}`)));
    expect(sent.length).toBeGreaterThan(0);
    for (const c of sent) {
      const codes = optionCodes(c.query);
      expect(codes.includes(8)).toBe(!strip);
      // The other options (the cookie) go upstream untouched either way.
      expect(codes).toContain(10);
    }
  });
});

describe('DNSSEC transparency', () => {
  let h: HradbaProcess;

  beforeAll(async () => {
    h = await startHradba({ config: testConfig(upstream.address.port), lists: { [TEST_LIST]: testvendorList() } });
  });

  afterAll(async () => {
    await h?.stop();
    upstream.answer((q) => buildReply(q, { answers: [record(1, 300, Buffer.from([192, 0, 2, 1]))] }));
  });

  it('passes DO and CD upstream and relays AD and RRSIG records untouched, also from the cache', async () => {
    const rrsig = Buffer.alloc(18 + 3 + 8);
    rrsig.writeUInt16BE(1, 0); // type covered: A
    rrsig[2] = 13; // algorithm
    rrsig[3] = 3; // labels
    rrsig.writeUInt32BE(300, 4);
    rrsig.writeUInt32BE(2_000_000_000, 8);
    rrsig.writeUInt32BE(1_700_000_000, 12);
    rrsig.writeUInt16BE(12345, 16);
    Buffer.from([7, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0]).copy(rrsig, 18, 0, 3); // signer (cut, opaque to hradba)
    upstream.answer((q) => {
      const r = buildReply(q, { answers: [record(1, 300, Buffer.from([192, 0, 2, 9])), record(46, 300, rrsig)], additional: [] });
      r[3] = r[3]! | 0x20; // AD
      return r;
    });
    const before = upstream.calls.length;
    for (let i = 0; i < 2; i++) {
      const out = parseDig((await dig({ port: h.port }, ['signed.example.org', 'A', '+dnssec', '+cd'])).stdout);
      expect(out.status).toBe('NOERROR');
      expect(out.flags).toContain('ad');
      expect(out.answer.some((l) => l.includes('RRSIG'))).toBe(true);
    }
    const sent = upstream.calls.slice(before);
    expect(sent.length).toBe(1); // the second came from the cache
    expect(sent[0]!.query[3]! & 0x10).toBe(0x10); // CD
    const q = sent[0]!.query;
    // DO is bit 15 of the OPT TTL: the last OPT of the query carries it.
    const optAt = q.lastIndexOf(Buffer.from([0, 0, 41]));
    expect(q[optAt + 7]! & 0x80).toBe(0x80);
  });
});
