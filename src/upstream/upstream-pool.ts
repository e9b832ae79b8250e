/**
 * A set of upstreams behind one strategy, with health: each query tries the upstreams that are up in the strategy's
 * order, moving on after `attemptTimeout` (an earlier attempt's late answer still wins) and at once on a failure.
 * An upstream is marked down after `maxFails` consecutive failures and probed in the background until a probe sent
 * after that answers. Timeouts alone never take the last upstream up out of service while it still answers
 * something (a rate-limiting or lossy resolver): its queries are retried until the deadline instead. When every
 * upstream is down the query fails at once ('all-down'), so the client gets SERVFAIL without waiting. Health
 * changes reach the log through a rate limit (HealthLog).
 */
import { performance } from 'node:perf_hooks';
import type { PoolStrategy, Upstream } from '../config/types.js';
import { checkAnswer, wellFormedPart } from '../dns/answer-check.js';
import { FLAG3_RCODE, RCODE } from '../dns/constants.js';
import { HradbaError } from '../errors.js';
import { createDohTransport } from './doh-transport.js';
import { PoolStrategyState } from './pool-strategy.js';
import { createRandomSource, type RandomSource } from './random-source.js';
import { createStreamTransport } from './stream-transport.js';
import type { TlsOptions, Transport, TransportExchange } from './transport.js';
import { createForwarder } from './forwarder.js';
import type { CancellableForwarder, ForwardExchange, ForwardResult, ForwarderStats, UdpForwarder, UpstreamObserver } from './types.js';
import { createUdpTransport } from './udp-transport.js';
import { HealthLog, type HealthListener } from './health-log.js';
import { UpstreamHealth } from './upstream-health.js';

export interface UpstreamPoolOptions {
  readonly upstreams: readonly Upstream[];
  readonly strategy: PoolStrategy;
  readonly attemptTimeoutMs: number;
  readonly deadlineMs: number;
  readonly socketPool: number;
  readonly maxFails: number;
  readonly probeIntervalMs: number;
  readonly maxInFlight: number;
  readonly tls?: TlsOptions;
  /** Told when an upstream goes down or comes back (for the log), at most twice per `healthLogQuietMs` per upstream. */
  readonly onHealth?: HealthListener;
  /** The window of the health lines' rate limit (default one minute). */
  readonly healthLogQuietMs?: number;
  /** Told of every query attempt's result per upstream (latency and error metrics); probes are not counted. */
  readonly observer?: UpstreamObserver;
  /** Tests may pass their own transports (same order as `upstreams`). */
  readonly transports?: readonly Transport[];
}

/** A pool is a Forwarder with health to report. */
export interface UpstreamPool extends CancellableForwarder {
  /** Per upstream: its URL, whether it is down, consecutive failures, smoothed RTT. */
  health(): { url: string; down: boolean; fails: number; srttMs: number }[];
}

const CLOSED: ForwardResult = Object.freeze({ ok: false, reason: 'closed' });
const TIMEOUT: ForwardResult = Object.freeze({ ok: false, reason: 'timeout' });
const ALL_DOWN: ForwardResult = Object.freeze({ ok: false, reason: 'all-down' });
const MALFORMED: ForwardResult = Object.freeze({ ok: false, reason: 'malformed' });
const HEALTH_LOG_QUIET_MS = 60_000;

/** The probe: `. NS` with RD. Any well-formed reply, whatever its RCODE, shows the upstream is answering. */
const PROBE = Buffer.from([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]);

function makeTransports(opts: UpstreamPoolOptions, random: RandomSource): { transports: Transport[]; udp: UdpForwarder | null } {
  const udpUpstreams = opts.upstreams.filter((u) => u.transport === 'udp');
  // One forwarder for every UDP upstream of the pool: one set of random source ports, one in-flight map.
  const udp =
    udpUpstreams.length === 0
      ? null
      : createForwarder({
          upstreams: udpUpstreams,
          attemptTimeoutMs: opts.attemptTimeoutMs,
          deadlineMs: opts.deadlineMs,
          socketPool: opts.socketPool,
        });
  const transports = opts.upstreams.map((u) => {
    if (u.transport === 'udp') return createUdpTransport(u, udp!, udpUpstreams.indexOf(u));
    if (u.transport === 'https') return createDohTransport(u, opts.tls);
    return createStreamTransport(u, random, opts.tls);
  });
  return { transports, udp };
}

/** Creates a pool; throws HRADBA_ERR_CONFIG without upstreams. */
export function createUpstreamPool(opts: UpstreamPoolOptions): UpstreamPool {
  if (opts.upstreams.length === 0) throw new HradbaError('HRADBA_ERR_CONFIG', 'upstream pool: at least one upstream is needed');
  const random = createRandomSource();
  const made = opts.transports === undefined ? makeTransports(opts, random) : { transports: [...opts.transports], udp: null };
  const transports = made.transports;
  // A reply within one deadline shows an upstream still answers: a dead one has been silent at least that long when
  // the queries sent to it after it died reach their deadline.
  const health = transports.map(() => new UpstreamHealth(Math.max(1, opts.maxFails), opts.deadlineMs));
  const healthLog = new HealthLog((...args) => opts.onHealth?.(...args), opts.healthLogQuietMs ?? HEALTH_LOG_QUIET_MS);
  const probes: (NodeJS.Timeout | null)[] = transports.map(() => null);
  const strategy = new PoolStrategyState(opts.strategy, random);
  const jobs = new Set<Job>();
  // The UDP counters are the shared UDP forwarder's; queries, attempt errors and timeouts are the pool's own.
  const udpStats = made.udp?.stats;
  const stats: ForwarderStats = {
    queries: 0,
    get udpSent() {
      return udpStats?.udpSent ?? 0;
    },
    get tcpRetries() {
      return udpStats?.tcpRetries ?? 0;
    },
    get discarded() {
      return udpStats?.discarded ?? 0;
    },
    attemptErrors: 0,
    timeouts: 0,
    get socketsOpened() {
      return udpStats?.socketsOpened ?? 0;
    },
    get socketsClosed() {
      return udpStats?.socketsClosed ?? 0;
    },
  };
  let closed = false;

  /** A reply from upstream `i`; `revives`: a probe sent while it was down, which alone may bring it back. */
  const answered = (i: number, rttMs: number, revives = false): void => {
    if (health[i]!.answered(rttMs, performance.now(), revives)) {
      if (probes[i] !== null) clearInterval(probes[i]!);
      probes[i] = null;
      healthLog.changed(i, 'upstream-up', transports[i]!.upstream, 0, null);
    }
  };

  /** Whether another upstream than `i` is up: only then may timeouts alone take `i` out of service. */
  const othersUp = (i: number): boolean => {
    for (let j = 0; j < health.length; j++) if (j !== i && !health[j]!.down) return true;
    return false;
  };

  /** A probe in flight per upstream: at most one at a time. */
  const probing = transports.map(() => false);

  /** Sends the `. NS` probe; `counts`: a probe that gets no answer is a failure (not while already down). */
  const probe = (i: number, counts: boolean): void => {
    if (closed || probing[i]) return;
    probing[i] = true;
    const started = performance.now();
    void transports[i]!.exchange(PROBE, PROBE.length, opts.attemptTimeoutMs).promise.then((reply) => {
      probing[i] = false;
      if (closed) return;
      const h = health[i]!;
      if (reply !== null) answered(i, performance.now() - started, h.down && started >= h.downAt);
      else if (counts) failed(i, true, false);
    });
  };

  /**
   * Counts a failure; `timeout`: no reply in time (for UDP every failure is one). A failed query attempt also sends
   * a probe at once: when the upstream answers it, the count starts over, so a few slow names do not take a working
   * resolver out of service; a dead one fails the probe too.
   */
  const failed = (i: number, timeout: boolean, probeNow = true): void => {
    stats.attemptErrors++;
    const h = health[i]!;
    const mayGoDown = !(timeout || transports[i]!.upstream.transport === 'udp') || othersUp(i);
    if (!h.failed(performance.now(), mayGoDown)) {
      if (probeNow && !h.down) probe(i, true);
      return;
    }
    healthLog.changed(i, 'upstream-down', transports[i]!.upstream, h.fails, transports[i]!.lastError);
    if (probes[i] === null && !closed) {
      const timer = setInterval(probe, opts.probeIntervalMs, i, false);
      timer.unref();
      probes[i] = timer;
    }
  };

  /**
   * One attempt of a job to upstream `i`. `counted`: its outcome reached the health count (a reply, or a failure);
   * `timedOut`: its attempt time passed without a reply (reported to the observer as a timeout then).
   */
  interface Attempt {
    readonly i: number;
    readonly ex: TransportExchange;
    counted: boolean;
    timedOut: boolean;
  }

  /**
   * One query: attempts in strategy order, the first usable answer wins. An attempt time without a reply counts
   * against an upstream's health at once while another upstream is up (the query moves on to it); for the last one
   * up it counts only if the deadline passes without its answer, since its own retries may still get one.
   */
  class Job {
    readonly promise: Promise<ForwardResult>;
    private resolve!: (r: ForwardResult) => void;
    private readonly attempts: Attempt[] = [];
    private next = 0;
    private timer: NodeJS.Timeout | null = null;
    private readonly deadlineTimer: NodeJS.Timeout;
    private fallback: ForwardResult | null = null;
    /** An upstream answered with a malformed message: the reason given when no other answers. */
    private malformed = false;
    private done = false;
    private open = 0;

    constructor(
      private readonly query: Buffer,
      private readonly questionEnd: number,
      private readonly order: number[],
      private readonly deadline: number,
    ) {
      this.promise = new Promise((resolve) => {
        this.resolve = resolve;
      });
      // Whole milliseconds: Node keeps a timer list per distinct duration, and a fractional one makes a list per query.
      this.deadlineTimer = setTimeout(() => this.giveUp(), Math.ceil(Math.max(0, deadline - performance.now())));
    }

    /** Starts the next attempt; when none is left, the job waits for those in flight (or gives up if there are none). */
    launch(): void {
      if (this.done) return;
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      while (this.next < this.order.length) {
        const i = this.order[this.next++]!;
        const t = transports[i]!;
        // At its bound, an upstream is skipped for this query rather than queued behind others.
        if (t.inFlight >= opts.maxInFlight) continue;
        const remaining = this.deadline - performance.now();
        if (remaining <= 0) break;
        const started = performance.now();
        const attempt: Attempt = { i, ex: t.exchange(this.query, this.questionEnd, remaining), counted: false, timedOut: false };
        this.attempts.push(attempt);
        this.open++;
        this.timer = setTimeout(() => {
          this.timer = null;
          // No reply in the attempt time: the next upstream is asked, and the failure counted when there is one.
          if (!attempt.counted && !attempt.timedOut) {
            attempt.timedOut = true;
            opts.observer?.failed(t.upstream, 'timeout');
            if (othersUp(i)) {
              attempt.counted = true;
              failed(i, true);
            }
          }
          this.launch();
        }, Math.ceil(Math.min(opts.attemptTimeoutMs, remaining)));
        void attempt.ex.promise.then((reply) => this.settled(attempt, reply, performance.now() - started));
        return;
      }
      if (this.open === 0) this.giveUp();
    }

    private settled(attempt: Attempt, reply: Buffer | null, rttMs: number): void {
      this.open--;
      if (this.done) return;
      // The answer's one walk: a malformed answer is a failed attempt, never relayed nor cached (the layout goes along).
      const layout = reply === null ? null : checkAnswer(reply, this.questionEnd);
      if (reply === null || layout === null) {
        if (reply !== null) this.malformed = true;
        if (!attempt.counted) {
          attempt.counted = true;
          if (!attempt.timedOut) opts.observer?.failed(transports[attempt.i]!.upstream, 'error');
          failed(attempt.i, attempt.timedOut);
        }
        // Only the newest attempt's failure moves on at once; an older one already handed over.
        if (attempt === this.attempts[this.attempts.length - 1]) this.launch();
        else if (this.open === 0 && this.next >= this.order.length) this.giveUp();
        return;
      }
      // A reply settles this attempt for health: the deadline must not count it as a failure.
      attempt.counted = true;
      answered(attempt.i, rttMs);
      const upstream = transports[attempt.i]!.upstream;
      const result: ForwardResult = { ok: true, answer: wellFormedPart(reply, layout), upstream, transport: upstream.transport, layout };
      const rcode = reply[3]! & FLAG3_RCODE;
      // SERVFAIL and REFUSED say "this server could not help": another may, and this one is the fallback.
      if (rcode !== RCODE.SERVFAIL && rcode !== RCODE.REFUSED) {
        opts.observer?.answered(upstream, rttMs / 1000);
        return this.finish(result);
      }
      opts.observer?.failed(upstream, rcode === RCODE.SERVFAIL ? 'servfail' : 'refused');
      this.fallback = result;
      if (attempt === this.attempts[this.attempts.length - 1]) this.launch();
      else if (this.open === 0 && this.next >= this.order.length) this.giveUp();
    }

    giveUp(): void {
      if (this.done) return;
      // The deadline passed: an attempt still waiting got no reply in all that time.
      for (const a of this.attempts) {
        if (a.counted) continue;
        a.counted = true;
        if (!a.timedOut) opts.observer?.failed(transports[a.i]!.upstream, 'timeout');
        failed(a.i, true);
      }
      if (this.fallback !== null) return this.finish(this.fallback);
      if (this.malformed) return this.finish(MALFORMED);
      stats.timeouts++;
      this.finish(TIMEOUT);
    }

    finish(result: ForwardResult): void {
      if (this.done) return;
      this.done = true;
      if (this.timer !== null) clearTimeout(this.timer);
      clearTimeout(this.deadlineTimer);
      for (const a of this.attempts) a.ex.cancel();
      jobs.delete(this);
      this.resolve(result);
    }
  }

  const exchange = (query: Buffer, questionEnd: number, deadlineMs: number): ForwardExchange => {
    stats.queries++;
    if (closed) return { promise: Promise.resolve(CLOSED), cancel: () => {} };
    const order = strategy.order(health);
    if (order.length === 0) return { promise: Promise.resolve(ALL_DOWN), cancel: () => {} };
    const job = new Job(query, questionEnd, order, performance.now() + deadlineMs);
    jobs.add(job);
    job.launch();
    return { promise: job.promise, cancel: () => job.finish(CLOSED) };
  };

  return {
    stats,
    forward: (query, questionEnd) => exchange(query, questionEnd, opts.deadlineMs).promise,
    exchange,
    health: () =>
      transports.map((t, i) => ({ url: t.upstream.url, down: health[i]!.down, fails: health[i]!.fails, srttMs: health[i]!.srttMs })),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const job of [...jobs]) job.finish(CLOSED);
      for (const p of probes) if (p !== null) clearInterval(p);
      healthLog.close();
      await Promise.all([...transports.map((t) => t.close()), made.udp?.close()]);
    },
  };
}
