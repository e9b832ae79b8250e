/** The upstream forwarder: sends a client's query to the upstreams in order, with failover, TCP after truncation and a deadline. */
import { performance } from 'node:perf_hooks';
import { FLAG2_TC, FLAG3_RCODE, RCODE } from '../dns/constants.js';
import { formatHostPort } from '../config/host-port.js';
import { HradbaError } from '../errors.js';
import { createRandomSource, type RandomSource } from './random-source.js';
import { RetransmitTimer } from './retransmit-timer.js';
import { createStreamTransport } from './stream-transport.js';
import type { Transport, TransportExchange } from './transport.js';
import type { ForwardExchange, UdpForwarder, ForwardResult, Forwarder, ForwarderOptions, ForwarderStats, UpstreamObserver } from './types.js';
import { UdpAttempt, UdpSocketPool, type UdpWaiter } from './udp-socket-pool.js';
import { toUpstreamTarget, type UpstreamTarget } from './upstream-target.js';

const noop = (): void => {};

export type { CancellableForwarder, ForwardExchange, UdpForwarder, ForwardFailure, ForwardResult, Forwarder, ForwarderOptions, ForwarderStats, UpstreamErrorReason, UpstreamObserver } from './types.js';

const DEFAULT_SOCKET_MAX_QUERIES = 10_000;
const DEFAULT_SOCKET_MAX_AGE_MS = 60_000;
/** Header (12) + root name (1) + QTYPE + QCLASS (4): the shortest question that can be matched. */
const MIN_QUESTION_END = 17;

type Answered = Extract<ForwardResult, { ok: true }>;

// Failures carry no per-query data, so they are shared instead of allocated per query.
const CLOSED: ForwardResult = Object.freeze({ ok: false, reason: 'closed' });
const TIMEOUT: ForwardResult = Object.freeze({ ok: false, reason: 'timeout' });
const BAD_QUERY: ForwardResult = Object.freeze({ ok: false, reason: 'bad-query' });

/** What every job of one forwarder shares. */
interface Core {
  readonly targets: readonly UpstreamTarget[];
  /** Per target (same order): when a pinned job sends the same query there again. */
  readonly retransmit: readonly RetransmitTimer[];
  readonly attemptTimeoutMs: number;
  readonly pools: { readonly 4: UdpSocketPool; readonly 6: UdpSocketPool };
  readonly random: RandomSource;
  /** Per target: its TCP connection for answers that came truncated, opened on the first and reused (RFC 7766). */
  readonly tcp: (Transport | null)[];
  readonly stats: ForwarderStats;
  readonly jobs: Set<ForwardJob>;
  readonly observer: UpstreamObserver | undefined;
}

/** The TCP transport of `target`, opened on first use: pipelined queries on one connection, not one connection each. */
function tcpFor(core: Core, target: UpstreamTarget): Transport {
  let t = core.tcp[target.index] ?? null;
  if (t === null) {
    const hp = { host: target.address, port: target.port };
    const upstream = { ...hp, transport: 'tcp' as const, tlsName: null, path: null, spkiPin: null, url: `tcp://${formatHostPort(hp)}` };
    t = createStreamTransport(upstream, core.random);
    core.tcp[target.index] = t;
  }
  return t;
}

/** Fires when an attempt's time is up; a plain function (with the job as argument) so arming a timer allocates no closure. */
function attemptTimerFired(job: ForwardJob): void {
  job.attemptExpired();
}

/**
 * The forwarding of one query. One timer bounds the current attempt (never past the deadline). Earlier UDP attempts
 * stay in flight until the job ends, so a slow upstream's late answer still wins; a TCP retry ends with its attempt.
 * A job pinned to one upstream sends again (new ID, new socket) after that upstream's retransmission timeout, which
 * its replies teach and which doubles with each copy up to the attempt time, so a lost datagram costs a round trip
 * or two rather than a whole attempt time, and the deadline alone ends the job.
 */
class ForwardJob implements UdpWaiter {
  readonly promise: Promise<ForwardResult>;
  private resolve!: (result: ForwardResult) => void;
  private readonly attempts: UdpAttempt[] = [];
  /** performance.now() at each attempt's send, parallel to `attempts` (latency per upstream). */
  private readonly sentAt: number[] = [];
  /** The current attempt's failure was already reported to the observer (its timer must not report it again). */
  private currentReported = false;
  /** Upstream of the newest attempt. */
  private current = 0;
  /** Upstreams that answered SERVFAIL/REFUSED for this query: asking them again would not help. */
  private failedWithAnswer: Uint8Array | null = null;
  /** The latest such answer: relayed when no other upstream does better in time. */
  private fallback: Answered | null = null;
  private timer: NodeJS.Timeout | null = null;
  private tcp: TransportExchange | null = null;
  private done = false;

  constructor(
    private readonly core: Core,
    readonly query: Buffer,
    readonly questionEnd: number,
    private readonly deadline: number,
    /** The one upstream this job may use (an upstream pool chooses upstreams itself), or -1 for all in order. */
    private readonly pinned = -1,
  ) {
    this.promise = new Promise<ForwardResult>((resolve) => {
      this.resolve = resolve;
    });
  }

  start(): void {
    this.launch(this.pinned >= 0 ? this.pinned : 0);
  }

  /** Sends to upstream `index` under a fresh ID and socket, and arms the attempt timer. */
  private launch(index: number): void {
    const remaining = this.deadline - performance.now();
    if (remaining <= 0) return this.giveUp();
    this.current = index;
    this.currentReported = false;
    const cap = this.core.attemptTimeoutMs;
    const wait = this.pinned >= 0 ? this.core.retransmit[index]!.timeoutMs(this.attempts.length, cap) : cap;
    this.armTimer(Math.min(wait, remaining));
    const target = this.core.targets[index]!;
    const attempt = new UdpAttempt(this, target);
    this.attempts.push(attempt);
    this.sentAt.push(performance.now());
    if (!this.core.pools[target.family].send(attempt)) this.udpFailed(attempt);
  }

  private armTimer(ms: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    // Whole milliseconds: Node keeps a timer list per distinct duration, and a fractional one makes a list per query.
    this.timer = setTimeout(attemptTimerFired, Math.ceil(ms), this);
  }

  /** The attempt timer fired: drop a TCP retry in progress and ask the next upstream, wrapping around. */
  attemptExpired(): void {
    this.timer = null;
    if (this.done) return;
    if (!this.currentReported) this.core.observer?.failed(this.core.targets[this.current]!.hostPort, 'timeout');
    if (this.tcp !== null) {
      this.tcp.cancel();
      this.tcp = null;
    }
    const next = this.nextUpstream();
    if (next < 0) this.giveUp();
    else this.launch(next);
  }

  udpReply(attempt: UdpAttempt, reply: Buffer): void {
    if (this.done) return;
    const target = attempt.target;
    const k = this.attempts.indexOf(attempt);
    if (k >= 0) this.core.retransmit[target.index]!.sample(performance.now() - this.sentAt[k]!);
    if ((reply[2]! & FLAG2_TC) === 0) return this.answered(reply, target, 'udp');
    // Truncated: the full answer needs TCP. One retry at a time; another truncated copy adds nothing.
    if (this.tcp !== null) return;
    this.core.stats.tcpRetries++;
    // A connection takes longer than a datagram's round trip: the TCP retry gets a whole attempt time.
    this.armTimer(Math.min(this.core.attemptTimeoutMs, Math.max(0, this.deadline - performance.now())));
    const remaining = Math.max(1, this.deadline - performance.now());
    const tcp = tcpFor(this.core, target).exchange(this.query, this.questionEnd, remaining);
    this.tcp = tcp;
    void tcp.promise.then((answer) => {
      // Cancelled (the attempt time ran out, or the job ended): nothing more to do for it.
      if (this.tcp !== tcp || this.done) return;
      this.tcp = null;
      if (answer !== null) return this.answered(answer, target, 'tcp');
      this.core.stats.attemptErrors++;
      this.reportFailure(target, 'error');
      if (target.index === this.current) this.moveOn();
    });
  }

  udpFailed(attempt: UdpAttempt): void {
    this.core.stats.attemptErrors++;
    if (!this.done) this.reportFailure(attempt.target, 'error');
    // Only the newest attempt's failure matters: older ones already handed over to it.
    if (!this.done && attempt === this.attempts[this.attempts.length - 1]) this.moveOn();
  }

  private answered(reply: Buffer, target: UpstreamTarget, transport: 'udp' | 'tcp'): void {
    const result: Answered = { ok: true, answer: reply, upstream: target.hostPort, transport };
    // These two say "this server could not help", so another upstream is worth asking.
    const rcode = reply[3]! & FLAG3_RCODE;
    if (rcode !== RCODE.SERVFAIL && rcode !== RCODE.REFUSED) {
      const observer = this.core.observer;
      if (observer !== undefined) observer.answered(target.hostPort, (performance.now() - this.sentAtOf(target)) / 1000);
      return this.finish(result);
    }
    this.reportFailure(target, rcode === RCODE.SERVFAIL ? 'servfail' : 'refused');
    (this.failedWithAnswer ??= new Uint8Array(this.core.targets.length))[target.index] = 1;
    this.fallback = result;
    if (target.index === this.current) this.moveOn();
    else if (this.nextUpstream() < 0) this.giveUp();
  }

  /** When the newest attempt to `target` was sent. */
  private sentAtOf(target: UpstreamTarget): number {
    for (let i = this.attempts.length - 1; i >= 0; i--) if (this.attempts[i]!.target === target) return this.sentAt[i]!;
    return this.sentAt[0] ?? performance.now();
  }

  /** Tells the observer an attempt to `target` failed; the current attempt's own timer then stays quiet. */
  private reportFailure(target: UpstreamTarget, reason: 'error' | 'servfail' | 'refused'): void {
    if (target.index === this.current) this.currentReported = true;
    this.core.observer?.failed(target.hostPort, reason);
  }

  /**
   * The current attempt failed before its time was up: ask the next upstream at once, but only within this round.
   * Starting a new round waits for the attempt timer, so an unreachable network cannot spin a send loop.
   */
  private moveOn(): void {
    const next = this.nextUpstream();
    if (next < 0) this.giveUp();
    else if (next > this.current) this.launch(next);
  }

  /** The next upstream after the current one (wrapping) that has not answered with a failure, or -1. */
  private nextUpstream(): number {
    const n = this.core.targets.length;
    const failed = this.failedWithAnswer;
    // Pinned: the "next" upstream is the same one again (a retransmission), unless it already answered with a failure.
    if (this.pinned >= 0) return failed !== null && failed[this.pinned] === 1 ? -1 : this.pinned;
    for (let k = 1; k <= n; k++) {
      const i = (this.current + k) % n;
      if (failed === null || failed[i] === 0) return i;
    }
    return -1;
  }

  private giveUp(): void {
    if (this.fallback !== null) return this.finish(this.fallback);
    this.core.stats.timeouts++;
    this.finish(TIMEOUT);
  }

  /** Ends the job: the timer, the TCP retry and every UDP attempt are released before the result is delivered. */
  finish(result: ForwardResult): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.tcp !== null) {
      this.tcp.cancel();
      this.tcp = null;
    }
    for (const attempt of this.attempts) this.core.pools[attempt.target.family].cancel(attempt);
    this.attempts.length = 0;
    this.sentAt.length = 0;
    this.core.jobs.delete(this);
    this.resolve(result);
  }
}

function checkOptions(opts: ForwarderOptions): void {
  const bad: string[] = [];
  if (opts.upstreams.length === 0) bad.push('upstreams: at least one is needed');
  if (!(opts.attemptTimeoutMs > 0)) bad.push('attemptTimeoutMs: must be > 0');
  if (!(opts.deadlineMs > 0)) bad.push('deadlineMs: must be > 0');
  if (!Number.isInteger(opts.socketPool) || opts.socketPool < 1 || opts.socketPool > 65_536) bad.push('socketPool: must be an integer from 1 to 65536');
  if (opts.socketMaxQueries !== undefined && !(opts.socketMaxQueries >= 1)) bad.push('socketMaxQueries: must be >= 1');
  if (opts.socketMaxAgeMs !== undefined && !(opts.socketMaxAgeMs > 0)) bad.push('socketMaxAgeMs: must be > 0');
  if (bad.length > 0) throw new HradbaError('HRADBA_ERR_CONFIG', `forwarder: ${bad.join('; ')}`);
}

/** Creates a forwarder; throws HRADBA_ERR_CONFIG for unusable options (no upstreams, non-IP hosts, bad numbers). */
export function createForwarder(opts: ForwarderOptions): UdpForwarder {
  checkOptions(opts);
  const targets = opts.upstreams.map((hp, i) => toUpstreamTarget(hp, i));
  const stats: ForwarderStats = {
    queries: 0,
    udpSent: 0,
    tcpRetries: 0,
    discarded: 0,
    attemptErrors: 0,
    timeouts: 0,
    socketsOpened: 0,
    socketsClosed: 0,
  };
  const random = createRandomSource();
  const poolOptions = {
    size: opts.socketPool,
    maxQueries: opts.socketMaxQueries ?? DEFAULT_SOCKET_MAX_QUERIES,
    maxAgeMs: opts.socketMaxAgeMs ?? DEFAULT_SOCKET_MAX_AGE_MS,
    random,
    stats,
  };
  const core: Core = {
    targets,
    retransmit: targets.map(() => new RetransmitTimer()),
    attemptTimeoutMs: opts.attemptTimeoutMs,
    // Sockets are opened on first use, so a family without upstreams costs nothing.
    pools: { 4: new UdpSocketPool({ ...poolOptions, family: 4 }), 6: new UdpSocketPool({ ...poolOptions, family: 6 }) },
    random,
    tcp: targets.map(() => null),
    stats,
    jobs: new Set(),
    observer: opts.observer,
  };
  let closing: Promise<void> | null = null;

  const exchange = (query: Buffer, questionEnd: number, deadlineMs: number, pinned = -1): ForwardExchange => {
    stats.queries++;
    if (closing !== null) return { promise: Promise.resolve(CLOSED), cancel: noop };
    if (
      !Number.isInteger(questionEnd) ||
      questionEnd < MIN_QUESTION_END ||
      questionEnd > query.length ||
      query.length > 65535
    ) {
      return { promise: Promise.resolve(BAD_QUERY), cancel: noop };
    }
    // The one copy: the client's buffer stays untouched while we rewrite the ID per attempt.
    const job = new ForwardJob(core, Buffer.from(query), questionEnd, performance.now() + deadlineMs, pinned);
    core.jobs.add(job);
    job.start();
    return { promise: job.promise, cancel: () => job.finish(CLOSED) };
  };

  return {
    stats,

    forward(query: Buffer, questionEnd: number): Promise<ForwardResult> {
      return exchange(query, questionEnd, opts.deadlineMs).promise;
    },

    exchange: (query, questionEnd, deadlineMs) => exchange(query, questionEnd, deadlineMs),

    exchangeWith(index: number, query: Buffer, questionEnd: number, deadlineMs: number): ForwardExchange {
      if (!Number.isInteger(index) || index < 0 || index >= targets.length) return { promise: Promise.resolve(BAD_QUERY), cancel: noop };
      return exchange(query, questionEnd, deadlineMs, index);
    },

    close(): Promise<void> {
      if (closing === null) {
        for (const job of [...core.jobs]) job.finish(CLOSED);
        closing = Promise.all([core.pools[4].close(), core.pools[6].close(), ...core.tcp.map((t) => t?.close())]).then(() => undefined);
      }
      return closing;
    },
  };
}
