/**
 * Only well-formed answers go out (issue 9): an upstream answer with wrong counts, lengths, pointers or OPT is a failed
 * attempt (the next upstream is asked, else SERVFAIL with EDE), never relayed and never cached; and the TTLs of the
 * first answer are already capped by cache.maxTtl. Through the running process, with fake upstreams.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, parseDig } from '../helpers/dig.js';
import { buildReply, defaultAnswer, optRecord, questionEndOf, record, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

/** The first label of a query's question, lower-case. */
function firstLabel(query: Buffer): string {
  return query.subarray(13, 13 + query[12]!).toString('latin1').toLowerCase();
}

/** A compression pointer to `offset`. */
const pointer = (offset: number): Buffer => Buffer.from([0xc0 | (offset >> 8), offset & 0xff]);

/** TYPE, CLASS IN, TTL 300 and RDLENGTH of a record whose owner name is written before it. */
function fixed(type: number, rdlength: number): Buffer {
  const b = Buffer.alloc(10);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(300, 4);
  b.writeUInt16BE(rdlength, 8);
  return b;
}

const A_DATA = Buffer.from([192, 0, 2, 1]);

/** Each malformed shape, by the first label of the name asked. */
const SHAPES: Record<string, (query: Buffer) => Buffer> = {
  // An A record whose RDLENGTH promises 200 octets where 4 follow.
  rdlength: (q) => {
    const rr = record(1, 300, A_DATA);
    rr.writeUInt16BE(200, 10);
    return buildReply(q, { answers: [rr] });
  },
  // The answer's owner is a pointer to itself.
  selfpointer: (q) => buildReply(q, { answers: [Buffer.concat([pointer(questionEndOf(q)), fixed(1, 4), A_DATA])] }),
  // The owner points forward, into its own RDATA.
  forwardpointer: (q) => buildReply(q, { answers: [Buffer.concat([pointer(questionEndOf(q) + 12), fixed(1, 4), A_DATA])] }),
  // A label, then a pointer back to that label: each pointer points backwards, yet a decoder following it loops.
  pointerloop: (q) => buildReply(q, { answers: [Buffer.concat([Buffer.from([1, 0x61]), pointer(questionEndOf(q)), fixed(1, 4), A_DATA])] }),
  // A CNAME whose target is a pointer to itself.
  cnameloop: (q) => {
    const rdata = questionEndOf(q) + 12;
    return buildReply(q, { answers: [Buffer.concat([pointer(12), fixed(5, 2), pointer(rdata)])] });
  },
  // ANCOUNT 65535 with a single record.
  ancount: (q) => {
    const r = buildReply(q, { answers: [record(1, 300, A_DATA)] });
    r.writeUInt16BE(65535, 6);
    return r;
  },
  // EDNS version 255 in the upstream's OPT (hradba only ever asks with version 0).
  ednsversion: (q) => {
    const opt = optRecord(1232);
    opt[6] = 255;
    return buildReply(q, { answers: [record(1, 300, A_DATA)], additional: [opt] });
  },
};

/** A sound answer followed by bytes that belong to no record: relayed and cached without them. */
const trailing = (q: Buffer): Buffer => Buffer.concat([buildReply(q, { answers: [record(1, 300, A_DATA)] }), Buffer.from('trailing garbage')]);

/** Queries the fake upstream got for names starting with `label`. */
const callsFor = (fake: FakeUpstream, label: string): number => fake.calls.filter((c) => c.query.length > 13 && firstLabel(c.query) === label).length;

describe('a malformed upstream answer is never relayed nor cached', () => {
  let bad: FakeUpstream;
  let h: HradbaProcess;

  beforeAll(async () => {
    bad = await startFakeUpstream();
    bad.answer((q) => (q.length > 13 ? (SHAPES[firstLabel(q)] ?? (firstLabel(q) === 'trailing' ? trailing : defaultAnswer))(q) : defaultAnswer(q)));
    h = await startHradba({ config: testConfig(bad.address.port), lists: { [TEST_LIST]: testvendorList() } });
  }, 30_000);

  afterAll(async () => {
    await h?.stop();
    await bad?.close();
  });

  it.each(Object.keys(SHAPES))('%s: SERVFAIL with EDE to an EDNS client, SERVFAIL to a classic one, asked upstream each time', async (label) => {
    const name = `${label}.bad.test`;
    for (let round = 1; round <= 2; round++) {
      const run = await dig({ port: h.port }, [name, 'A']);
      const a = parseDig(run.stdout);
      expect(a.status, `${name} round ${round}: ${run.stdout}${run.stderr}`).toBe('SERVFAIL');
      expect(a.ede?.code, `${name}: EDE`).toBe(22);
      expect(a.answer, name).toEqual([]);
      expect(run.stdout + run.stderr, "dig read a sound message").not.toMatch(/Got bad packet|parser reports|Warning/i);
      // Not cached: the second round went upstream again.
      expect(callsFor(bad, label), `${name}: upstream queries after round ${round}`).toBe(round);
    }
    const classic = parseDig((await dig({ port: h.port }, [name, 'A', '+noedns'])).stdout);
    expect(classic.status, classic.text).toBe('SERVFAIL');
    expect(classic.hasOpt).toBe(false);
  });

  it('logs the unusable upstream answer', async () => {
    await dig({ port: h.port }, ['rdlength.bad.test', 'A']);
    const line = await h.waitForLog((l) => l.event === 'upstream-malformed' && l.qname === 'rdlength.bad.test', 3000);
    expect(line.level).toBeDefined();
  });

  it('bytes after the last record are dropped, the answer before them relayed and cached', async () => {
    for (const args of [[], ['+noedns']]) {
      for (let round = 1; round <= 2; round++) {
        const run = await dig({ port: h.port }, ['trailing.bad.test', 'A', ...args]);
        const a = parseDig(run.stdout);
        expect(a.status, a.text).toBe('NOERROR');
        expect(a.answer).toEqual(['trailing.bad.test. 300 IN A 192.0.2.1']);
        expect(run.stdout + run.stderr, 'no extra bytes reach the client').not.toMatch(/extra bytes|parser reports|Warning/i);
      }
    }
    expect(callsFor(bad, 'trailing'), 'one query upstream per cache key (EDNS, classic)').toBe(2);
  });

  it('a well-formed answer from the same upstream is still relayed', async () => {
    const a = parseDig((await dig({ port: h.port }, ['fine.bad.test', 'A'])).stdout);
    expect(a.status, a.text).toBe('NOERROR');
    expect(a.answer).toEqual(['fine.bad.test. 300 IN A 192.0.2.1']);
  });
});

describe('after a malformed answer the next upstream is asked', () => {
  let bad: FakeUpstream;
  let good: FakeUpstream;
  let h: HradbaProcess;

  beforeAll(async () => {
    [bad, good] = await Promise.all([startFakeUpstream(), startFakeUpstream()]);
    bad.answer((q) => (q.length > 13 ? (SHAPES[firstLabel(q)] ?? defaultAnswer)(q) : defaultAnswer(q)));
    good.answer((q) => buildReply(q, { answers: [record(1, 300, Buffer.from([192, 0, 2, 99]))] }));
    const config = {
      ...testConfig(bad.address.port),
      upstreams: [`127.0.0.1:${bad.address.port}`, `127.0.0.1:${good.address.port}`],
      pool: { strategy: 'sequential' },
    };
    h = await startHradba({ config, lists: { [TEST_LIST]: testvendorList() } });
  }, 30_000);

  afterAll(async () => {
    await h?.stop();
    await Promise.all([bad?.close(), good?.close()]);
  });

  it.each(Object.keys(SHAPES))('%s: the second upstream answers', async (label) => {
    const name = `${label}.bad.test`;
    const a = parseDig((await dig({ port: h.port }, [name, 'A'])).stdout);
    expect(a.status, a.text).toBe('NOERROR');
    expect(a.answer).toEqual([`${name}. 300 IN A 192.0.2.99`]);
    expect(callsFor(bad, label), 'the first upstream was asked first').toBe(1);
    expect(callsFor(good, label)).toBe(1);
  });
});

describe('TTLs are capped by cache.maxTtl on the first answer', () => {
  let fake: FakeUpstream;
  let h: HradbaProcess;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    // 2^31-1 for every name; a TTL with the top bit set (RFC 2181 §8: read as 0) beside it for 'topbit.*'.
    fake.answer((q) => {
      const answers = [record(1, 2147483647, Buffer.from([192, 0, 2, 5]))];
      if (q.length > 13 && firstLabel(q) === 'topbit') answers.push(record(1, 0x80000001, Buffer.from([192, 0, 2, 6])));
      return buildReply(q, { answers });
    });
    h = await startHradba({ config: testConfig(fake.address.port, { cache: { maxTtl: '1h' } }), lists: { [TEST_LIST]: testvendorList() } });
  }, 30_000);

  afterAll(async () => {
    await h?.stop();
    await fake?.close();
  });

  it.each([
    { client: 'EDNS', args: [] as string[] },
    { client: 'classic', args: ['+noedns'] },
  ])('$client client: 2^31-1 reads 3600, fresh and cached', async ({ args }) => {
    const label = `cap${args.length}`;
    for (const round of ['fresh', 'cached']) {
      const a = parseDig((await dig({ port: h.port }, [`${label}.example.test`, 'A', ...args])).stdout);
      expect(a.status, a.text).toBe('NOERROR');
      const ttls = a.answer.map((line) => Number(line.split(' ')[1]));
      expect(ttls, `${round}: ${a.text}`).toHaveLength(1);
      expect(ttls[0], round).toBeLessThanOrEqual(3600);
      expect(ttls[0], round).toBeGreaterThan(3500);
    }
    expect(callsFor(fake, label), 'the second answer came from the cache').toBe(1);
  });

  it('a TTL with the top bit set reads 0', async () => {
    const a = parseDig((await dig({ port: h.port }, ['topbit.example.test', 'A'])).stdout);
    expect(a.answer.map((line) => Number(line.split(' ')[1]))).toEqual([3600, 0]);
  });
});
