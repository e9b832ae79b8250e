/** The forwarder's contract: what the server hands it, what it gets back, and the counters it keeps. */
import type { HostPort } from '../config/types.js';
import type { AnswerLayout } from '../dns/answer-check.js';

/** How the forwarder is set up; the first four come straight from `Config.upstreams` and `Config.forward`. */
export interface ForwarderOptions {
  /** Upstream resolvers (IP literals), tried in order. */
  readonly upstreams: readonly HostPort[];
  /** Wait for one upstream before the next one is tried. */
  readonly attemptTimeoutMs: number;
  /** Bound on the whole forwarding of one query. */
  readonly deadlineMs: number;
  /** Number of randomly bound UDP sockets per address family. */
  readonly socketPool: number;
  /** A pooled socket is replaced after this many queries (default 10,000), so source ports keep changing. */
  readonly socketMaxQueries?: number;
  /** A pooled socket is replaced once it is this old (default 60 s), even when it is little used. */
  readonly socketMaxAgeMs?: number;
  /** Told of every attempt's end (metrics); must be cheap and must not throw. */
  readonly observer?: UpstreamObserver;
}

/** Why one attempt to one upstream did not help: no answer in its time, a send or TCP error, or a SERVFAIL/REFUSED answer. */
export type UpstreamErrorReason = 'timeout' | 'error' | 'servfail' | 'refused';

/** Per-upstream outcomes of attempts, for latency and error metrics; labels are the configured upstreams only. */
export interface UpstreamObserver {
  /** `upstream` gave a usable answer `seconds` after the attempt to it was sent. */
  answered(upstream: HostPort, seconds: number): void;
  /** An attempt to `upstream` failed for `reason`. */
  failed(upstream: HostPort, reason: UpstreamErrorReason): void;
}

/** Why forwarding produced no answer. */
export type ForwardFailure =
  /** No usable answer before the deadline. */
  | 'timeout'
  /** The forwarder was closed before or while forwarding. */
  | 'closed'
  /** The query or its questionEnd cannot be forwarded (too short, question out of bounds). */
  | 'bad-query'
  /** Every upstream of the set is marked down (or at its in-flight bound): answered at once, without waiting. */
  | 'all-down'
  /** The upstreams that answered sent only malformed messages (see checkAnswer), none of which may be relayed. */
  | 'malformed';

/**
 * The outcome of one forwarding. `answer` is the upstream's message exactly as received (with the ID we chose,
 * not the client's): the caller rewrites ID and question case when it relays. `layout`: the answer's check on
 * arrival (an upstream pool's answers always carry it; a bare forwarder's are checked by whoever relays them).
 */
export type ForwardResult =
  | {
      readonly ok: true;
      readonly answer: Buffer;
      readonly upstream: HostPort;
      readonly transport: 'udp' | 'tcp' | 'tls' | 'https';
      readonly layout?: AnswerLayout;
    }
  | { readonly ok: false; readonly reason: ForwardFailure };

/** Running totals, for metrics and tests. */
export interface ForwarderStats {
  /** forward() calls. */
  queries: number;
  /** UDP datagrams sent upstream (one per attempt). */
  udpSent: number;
  /** Retries over TCP after a truncated UDP answer. */
  tcpRetries: number;
  /** Replies thrown away: unknown ID, wrong source address or port, not a response, or another question. */
  discarded: number;
  /** Attempts that failed at once (send error, TCP connection error or a mismatching TCP reply). */
  attemptErrors: number;
  /** forward() results of `timeout`. */
  timeouts: number;
  /** UDP sockets opened and closed so far (opened - closed = open now). */
  socketsOpened: number;
  socketsClosed: number;
}

/** One forwarding that its starter may cancel (its promise then settles with `closed`). */
export interface ForwardExchange {
  readonly promise: Promise<ForwardResult>;
  cancel(): void;
}

/** Forwards raw queries to the configured upstreams over UDP (TCP after truncation). */
export interface Forwarder {
  /** Forwards `query` (the client's raw message; msg.subarray(12, questionEnd) is its question); never rejects. */
  forward(query: Buffer, questionEnd: number): Promise<ForwardResult>;
  /** Ends every pending forward with `closed` and closes all sockets. */
  close(): Promise<void>;
  readonly stats: Readonly<ForwarderStats>;
}

/** A forwarder whose single forwardings can be given their own deadline and cancelled (the UDP forwarder, the pool). */
export interface CancellableForwarder extends Forwarder {
  /** Like forward, with its own deadline and a way to cancel it. */
  exchange(query: Buffer, questionEnd: number, deadlineMs: number): ForwardExchange;
}

/** The UDP forwarder can also be told to use one of its upstreams only, resending to it after each attempt timeout. */
export interface UdpForwarder extends CancellableForwarder {
  /** Like exchange, to upstream `index` only (its position in `upstreams`). */
  exchangeWith(index: number, query: Buffer, questionEnd: number, deadlineMs: number): ForwardExchange;
}
