/** Forwarder tests over real loopback sockets against fake upstreams: relaying, random IDs and ports, reply validation, failover, TCP after truncation, IPv6, close. */
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostPort } from '../../src/config/types.js';
import { createForwarder, type Forwarder, type ForwarderOptions, type ForwardResult } from '../../src/upstream/forwarder.js';
import {
  buildQuery,
  buildReply,
  defaultAnswer,
  encodeName,
  optRecord,
  questionEndOf,
  record,
  startFakeUpstream,
  waitFor,
  type FakeCall,
  type FakeUpstream,
} from '../helpers/fake-upstream.js';

const TYPE_A = 1;
const TYPE_TXT = 16;
const TYPE_HTTPS = 65;
const OPTION_COOKIE = 10;

/** Whether this host can bind ::1 (some containers have no IPv6 loopback). */
const HAS_IPV6 = await new Promise<boolean>((resolve) => {
  const s = createSocket({ type: 'udp6', ipv6Only: true });
  s.once('error', () => resolve(false));
  s.bind(0, '::1', () => s.close(() => resolve(true)));
});

const fakes: FakeUpstream[] = [];
const forwarders: Forwarder[] = [];

afterEach(async () => {
  await Promise.all(forwarders.splice(0).map((f) => f.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fake(host = '127.0.0.1'): Promise<FakeUpstream> {
  const f = await startFakeUpstream(host);
  fakes.push(f);
  return f;
}

function forwarder(upstreams: readonly HostPort[], opts: Partial<ForwarderOptions> = {}): Forwarder {
  const f = createForwarder({ upstreams, attemptTimeoutMs: 100, deadlineMs: 5000, socketPool: 4, ...opts });
  forwarders.push(f);
  return f;
}

function query(name = 'www.example.org', type = TYPE_A, id = 0x1234): { msg: Buffer; questionEnd: number } {
  return buildQuery({ id, name, type });
}

function answerOf(r: ForwardResult): Buffer {
  if (!r.ok) throw new Error(`forwarding failed: ${r.reason}`);
  return r.answer;
}

/** The same question with every letter's case flipped, as a 0x20-randomising upstream might echo it. */
function flipCase(q: Buffer): Buffer {
  const out = Buffer.from(q.subarray(12, questionEndOf(q)));
  for (let i = 0; i < out.length - 4; i++) {
    const c = out[i]! | 0x20;
    if (c >= 0x61 && c <= 0x7a) out[i] = out[i]! ^ 0x20;
  }
  return out;
}

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(p: Promise<T>): { settled: () => boolean } {
  let settled = false;
  void p.then(() => (settled = true));
  return { settled: () => settled };
}

describe('createForwarder: relaying', () => {
  it('relays the answer byte for byte (HTTPS record, OPT with COOKIE) and forwards the query unchanged but for the ID', async () => {
    const up = await fake();
    const clientCookie = Buffer.from('0123456789abcdef', 'hex');
    const { msg, questionEnd } = buildQuery({
      id: 0xbeef,
      name: 'www.example.org',
      type: TYPE_HTTPS,
      additional: [optRecord(1232, [{ code: OPTION_COOKIE, data: clientCookie }])],
    });
    const clientCopy = Buffer.from(msg);
    // SvcPriority 1, TargetName '.', alpn=h2.
    const https = Buffer.from([0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x03, 0x02, 0x68, 0x32]);
    const serverCookie = Buffer.concat([clientCookie, Buffer.from('00112233445566778899aabbccddeeff', 'hex')]);
    let sent: Buffer | null = null;
    up.answer((q) => {
      sent = buildReply(q, {
        answers: [record(TYPE_HTTPS, 300, https)],
        additional: [optRecord(1232, [{ code: OPTION_COOKIE, data: serverCookie }])],
      });
      return sent;
    });

    const result = await forwarder([up.address]).forward(msg, questionEnd);

    expect(result).toEqual({ ok: true, answer: sent, upstream: up.address, transport: 'udp' });
    expect(answerOf(result).equals(sent!)).toBe(true);
    const received = up.calls[0]!.query;
    expect(received.subarray(2).equals(msg.subarray(2))).toBe(true); // question, OPT and COOKIE as the client sent them
    expect(msg.equals(clientCopy)).toBe(true); // the client's buffer is not touched
  });

  it('uses a fresh random ID per query and spreads queries over several source ports', async () => {
    const up = await fake();
    const fwd = forwarder([up.address], { socketPool: 4 });
    const clientId = 0x1234;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const q = query(`host${i}.example.org`, TYPE_A, clientId);
        return fwd.forward(q.msg, q.questionEnd);
      }),
    );

    expect(results.every((r) => r.ok)).toBe(true);
    const ids = up.calls.map((c) => c.id);
    expect(ids).toHaveLength(50);
    // 50 draws from 65536: equal IDs are rare, and the client's ID turns up by chance at most once.
    expect(new Set(ids).size).toBeGreaterThanOrEqual(45);
    expect(ids.filter((id) => id === clientId).length).toBeLessThanOrEqual(1);
    expect(new Set(up.calls.map((c) => c.remote.port)).size).toBeGreaterThan(1);
    // Each answer carries the ID its query went out with (the caller restores the client's).
    const idByQuestion = new Map(up.calls.map((c) => [c.query.subarray(12, questionEndOf(c.query)).toString('hex'), c.id]));
    for (const r of results) {
      const answer = answerOf(r);
      expect(answer.readUInt16BE(0)).toBe(idByQuestion.get(answer.subarray(12, questionEndOf(answer)).toString('hex')));
    }
  });

  it('renews pooled sockets after socketMaxQueries, closing the old ones once drained', async () => {
    const up = await fake();
    const fwd = forwarder([up.address], { socketPool: 1, socketMaxQueries: 3 });
    for (let i = 0; i < 9; i++) {
      const q = query(`n${i}.example.org`);
      expect((await fwd.forward(q.msg, q.questionEnd)).ok).toBe(true);
    }
    expect(new Set(up.calls.map((c) => c.remote.port)).size).toBe(3);
    await waitFor(() => fwd.stats.socketsClosed === 3, 'retired sockets to close');
    expect(fwd.stats.socketsOpened).toBe(3);
  });

  it('returns bad-query for a questionEnd outside the message', async () => {
    const up = await fake();
    const fwd = forwarder([up.address]);
    const q = query();
    expect(await fwd.forward(q.msg, q.msg.length + 1)).toEqual({ ok: false, reason: 'bad-query' });
    expect(await fwd.forward(q.msg.subarray(0, 12), 12)).toEqual({ ok: false, reason: 'bad-query' });
    expect(up.calls).toHaveLength(0);
  });
});

describe('createForwarder: reply validation', () => {
  type Spoof = (call: FakeCall, up: FakeUpstream) => Promise<void>;
  const withQuestion = (call: FakeCall, name: string, type: number): Buffer => {
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(type, 0);
    tail.writeUInt16BE(1, 2);
    return buildReply(call.query, { question: Buffer.concat([encodeName(name), tail]) });
  };
  const spoofs: { name: string; send: Spoof }[] = [
    { name: 'another ID', send: (c, up) => up.sendUdp(c, buildReply(c.query, { id: (c.id + 1) & 0xffff })) },
    { name: 'another question name', send: (c, up) => up.sendUdp(c, withQuestion(c, 'www.example.net', TYPE_A)) },
    { name: 'another qtype', send: (c, up) => up.sendUdp(c, withQuestion(c, 'www.example.org', 28)) },
    {
      name: 'QR=0 (a query, not a response)',
      send: (c, up) => {
        const r = buildReply(c.query);
        r[2] = r[2]! & 0x7f;
        return up.sendUdp(c, r);
      },
    },
    { name: 'a right reply from another port', send: (c, up) => up.sendUdp(c, defaultAnswer(c.query), { fromOtherPort: true }) },
    { name: 'a runt of 5 bytes', send: (c, up) => up.sendUdp(c, c.query.subarray(0, 5)) },
  ];

  it.each(spoofs)('ignores $name and accepts the right reply after it', async ({ send }) => {
    const up = (await fake()).drop();
    const fwd = forwarder([up.address], { attemptTimeoutMs: 5000 });
    const q = query('www.example.org');
    const pending = fwd.forward(q.msg, q.questionEnd);
    const state = track(pending);
    await up.waitForCalls(1);
    const call = up.calls[0]!;

    await send(call, up);
    await waitFor(() => fwd.stats.discarded === 1, 'the spoof to be discarded');
    expect(state.settled()).toBe(false);

    // The genuine reply, with the question's case changed as 0x20-randomising upstreams do.
    const genuine = buildReply(call.query, { question: flipCase(call.query), answers: [record(TYPE_A, 60, Buffer.from([192, 0, 2, 7]))] });
    await up.sendUdp(call, genuine);
    const result = await pending;
    expect(answerOf(result).equals(genuine)).toBe(true);
    expect(fwd.stats.discarded).toBe(1);
  });
});

describe('createForwarder: failover and deadline', () => {
  it('asks the second upstream when the first is silent', async () => {
    const first = (await fake()).drop();
    const second = await fake();
    const q = query();
    const result = await forwarder([first.address, second.address]).forward(q.msg, q.questionEnd);
    expect(result).toMatchObject({ ok: true, upstream: second.address, transport: 'udp' });
    expect(first.calls).toHaveLength(1);
    // The second upstream gets the same query (under an ID of its own).
    expect(second.calls[0]!.query.subarray(2).equals(first.calls[0]!.query.subarray(2))).toBe(true);
  });

  it('wraps around to the first upstream while time remains', async () => {
    const first = (await fake()).drop();
    const second = await fake();
    second.answer((q) => (second.calls.length >= 2 ? defaultAnswer(q) : null)); // silent on its first query
    const q = query();
    const result = await forwarder([first.address, second.address], { attemptTimeoutMs: 30 }).forward(q.msg, q.questionEnd);
    expect(result).toMatchObject({ ok: true, upstream: second.address });
    expect(first.calls.length).toBeGreaterThanOrEqual(2);
  });

  it('still takes a late answer from an upstream it has moved on from', async () => {
    const slow = (await fake()).delay(150);
    const silent = (await fake()).drop();
    const q = query();
    const result = await forwarder([slow.address, silent.address], { attemptTimeoutMs: 30 }).forward(q.msg, q.questionEnd);
    expect(result).toMatchObject({ ok: true, upstream: slow.address });
    expect(silent.calls.length).toBeGreaterThanOrEqual(1);
  });

  it('gives up with timeout when every upstream is silent until the deadline', async () => {
    const a = (await fake()).drop();
    const b = (await fake()).drop();
    const fwd = forwarder([a.address, b.address], { attemptTimeoutMs: 40, deadlineMs: 100 });
    const q = query();
    expect(await fwd.forward(q.msg, q.questionEnd)).toEqual({ ok: false, reason: 'timeout' });
    expect(a.calls.length).toBeGreaterThanOrEqual(1);
    expect(fwd.stats.timeouts).toBe(1);
  });

  it.each([
    { rcode: 2, name: 'SERVFAIL' },
    { rcode: 5, name: 'REFUSED' },
  ])('asks the next upstream after $name, and relays $name when no other upstream is left', async ({ rcode }) => {
    const failing = (await fake()).answer((q) => buildReply(q, { rcode }));
    const good = await fake();
    const q = query();

    const result = await forwarder([failing.address, good.address]).forward(q.msg, q.questionEnd);
    expect(result).toMatchObject({ ok: true, upstream: good.address });
    expect(answerOf(result)[3]! & 0x0f).toBe(0);

    const alone = await forwarder([failing.address]).forward(q.msg, q.questionEnd);
    expect(alone).toMatchObject({ ok: true, upstream: failing.address, transport: 'udp' });
    expect(answerOf(alone)[3]! & 0x0f).toBe(rcode);
  });

  it('relays a failure answer when every upstream gives one, asking each once', async () => {
    const a = (await fake()).answer((q) => buildReply(q, { rcode: 2 }));
    const b = (await fake()).answer((q) => buildReply(q, { rcode: 5 }));
    const q = query();
    const result = await forwarder([a.address, b.address], { attemptTimeoutMs: 5000 }).forward(q.msg, q.questionEnd);
    expect(result.ok).toBe(true);
    expect([2, 5]).toContain(answerOf(result)[3]! & 0x0f);
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(1);
  });
});

describe('createForwarder: TCP after truncation', () => {
  /** An answer too big for a 512-byte UDP reply: 8 TXT records of 200 bytes. */
  const bigAnswer = (q: Buffer): Buffer => {
    const txt = Buffer.concat([Buffer.from([199]), Buffer.alloc(199, 0x78)]);
    return buildReply(q, { answers: Array.from({ length: 8 }, () => record(TYPE_TXT, 300, txt)) });
  };

  it('retries the same upstream over TCP when the UDP reply has TC=1, and relays the full answer', async () => {
    const up = await fake();
    let full: Buffer | null = null;
    up.answer((q, call) => {
      if (call.transport === 'udp') return buildReply(q, { tc: true });
      full = bigAnswer(q);
      return full;
    });
    const q = query('big.example.org', TYPE_TXT);
    const fwd = forwarder([up.address]);
    const result = await fwd.forward(q.msg, q.questionEnd);

    expect(result).toMatchObject({ ok: true, upstream: up.address, transport: 'tcp' });
    expect(answerOf(result).equals(full!)).toBe(true);
    expect(answerOf(result).length).toBeGreaterThan(1600);
    expect(up.calls.map((c) => c.transport)).toEqual(['udp', 'tcp']);
    expect(up.calls[1]!.query.subarray(2).equals(q.msg.subarray(2))).toBe(true);
    expect(fwd.stats.tcpRetries).toBe(1);
  });

  it('discards a TCP reply that does not match the question, and moves on to the next upstream in time', async () => {
    const broken = (await fake()).answer((q, call) =>
      call.transport === 'udp' ? buildReply(q, { tc: true }) : buildReply(buildQuery({ id: q.readUInt16BE(0), name: 'other.example.net', type: TYPE_TXT }).msg),
    );
    const good = await fake();
    const q = query('big.example.org', TYPE_TXT);
    const fwd = forwarder([broken.address, good.address], { attemptTimeoutMs: 300 });
    const result = await fwd.forward(q.msg, q.questionEnd);
    expect(result).toMatchObject({ ok: true, upstream: good.address, transport: 'udp' });
    // On the reused connection a reply for another question is dropped like a forged datagram: it answers nothing.
    expect(broken.calls.map((c) => c.transport)).toEqual(['udp', 'tcp']);
  });
});

describe('createForwarder: IPv6', () => {
  it.skipIf(!HAS_IPV6)('forwards to an upstream on ::1 (skipped where the host has no IPv6 loopback)', async () => {
    const v6 = await fake('::1');
    const v4 = (await fake()).drop();
    const q = query();
    const fwd = forwarder([v6.address, v4.address]);
    const result = await fwd.forward(q.msg, q.questionEnd);
    expect(result).toMatchObject({ ok: true, upstream: { host: '::1', port: v6.address.port }, transport: 'udp' });
    expect(v6.calls[0]!.remote.address).toBe('::1');
    expect(v4.calls).toHaveLength(0);
  });

  it.skipIf(!HAS_IPV6)('fails over from a silent IPv4 upstream to ::1, and retries over TCP on ::1', async () => {
    const v4 = (await fake()).drop();
    const v6 = (await fake('::1')).answer((q, call) => (call.transport === 'udp' ? buildReply(q, { tc: true }) : defaultAnswer(q)));
    const q = query();
    const result = await forwarder([v4.address, v6.address]).forward(q.msg, q.questionEnd);
    expect(result).toMatchObject({ ok: true, upstream: v6.address, transport: 'tcp' });
  });
});

describe('createForwarder: close', () => {
  it('ends pending forwards with closed, refuses new ones and closes every socket', async () => {
    const up = (await fake()).drop();
    const fwd = forwarder([up.address]);
    const q = query();
    const pending = fwd.forward(q.msg, q.questionEnd);
    await up.waitForCalls(1);

    await fwd.close();
    expect(await pending).toEqual({ ok: false, reason: 'closed' });
    expect(await fwd.forward(q.msg, q.questionEnd)).toEqual({ ok: false, reason: 'closed' });
    await fwd.close(); // twice is fine
    expect(fwd.stats.socketsOpened).toBeGreaterThan(0);
    expect(fwd.stats.socketsClosed).toBe(fwd.stats.socketsOpened);
  });

  it('ends a TCP retry in progress', async () => {
    const up = (await fake()).answer((q, call) => (call.transport === 'udp' ? buildReply(q, { tc: true }) : null));
    const fwd = forwarder([up.address], { attemptTimeoutMs: 5000 });
    const q = query();
    const pending = fwd.forward(q.msg, q.questionEnd);
    await up.waitForCalls(2);
    await fwd.close();
    expect(await pending).toEqual({ ok: false, reason: 'closed' });
  });
});

describe('createForwarder: options', () => {
  it.each([
    { name: 'no upstreams', opts: { upstreams: [] } },
    { name: 'a host name', opts: { upstreams: [{ host: 'dns.example.org', port: 53 }] } },
    { name: 'attemptTimeoutMs 0', opts: { attemptTimeoutMs: 0 } },
    { name: 'deadlineMs -1', opts: { deadlineMs: -1 } },
    { name: 'socketPool 0', opts: { socketPool: 0 } },
    { name: 'socketPool 1.5', opts: { socketPool: 1.5 } },
  ])('rejects $name with HRADBA_ERR_CONFIG', ({ opts }) => {
    const base: ForwarderOptions = { upstreams: [{ host: '127.0.0.1', port: 53 }], attemptTimeoutMs: 100, deadlineMs: 1000, socketPool: 2 };
    expect(() => createForwarder({ ...base, ...opts })).toThrow(expect.objectContaining({ code: 'HRADBA_ERR_CONFIG' }));
  });
});
