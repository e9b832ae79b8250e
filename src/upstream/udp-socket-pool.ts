/** A pool of randomly bound UDP sockets for one address family, with the in-flight map that matches replies to queries. */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { ForwarderStats } from './types.js';
import type { RandomSource } from './random-source.js';
import { isAnswerTo } from './reply-match.js';
import type { UpstreamTarget } from './upstream-target.js';

/** The party waiting for a UDP reply (a forwarding job); `query` holds the question to match against. */
export interface UdpWaiter {
  readonly query: Buffer;
  readonly questionEnd: number;
  /** A reply that passed every check arrived for `attempt`. */
  udpReply(attempt: UdpAttempt, reply: Buffer): void;
  /** `attempt` can get no reply (send error, socket error). */
  udpFailed(attempt: UdpAttempt): void;
}

/** One datagram sent upstream: where it went, from which socket, with which ID. */
export class UdpAttempt {
  socket: PooledSocket | null = null;
  id = 0;
  constructor(
    readonly waiter: UdpWaiter,
    readonly target: UpstreamTarget,
  ) {}
}

/** A bound socket with its own ID space: the in-flight key is (socket, ID). */
class PooledSocket {
  readonly inflight = new Map<number, UdpAttempt>();
  uses = 0;
  retired = false;
  constructor(
    readonly socket: Socket,
    readonly bornAt: number,
  ) {}
}

export interface UdpSocketPoolOptions {
  readonly family: 4 | 6;
  readonly size: number;
  readonly maxQueries: number;
  readonly maxAgeMs: number;
  readonly random: RandomSource;
  readonly stats: ForwarderStats;
}

/** Tries for a free ID on the chosen socket; only a socket with tens of thousands of queries in flight runs out. */
const ID_TRIES = 16;

/**
 * Sockets are spread over at random per query and each is retired after `maxQueries` queries or `maxAgeMs`, then
 * closed once its in-flight queries are done, so the set of source ports keeps moving (RFC 5452 §10) without a
 * socket per query. Slots are filled lazily: a family without upstreams never opens a socket.
 */
export class UdpSocketPool {
  private readonly slots: (PooledSocket | null)[];
  /** Every socket not yet closed, in a slot or retired and draining. */
  private readonly open = new Set<PooledSocket>();
  /** Closes still in progress, so close() can wait for them; each removes itself when done. */
  private readonly closing = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly opts: UdpSocketPoolOptions) {
    this.slots = new Array<PooledSocket | null>(Math.max(1, opts.size)).fill(null);
  }

  /** Sends the waiter's query to `attempt.target` under a fresh ID; false when it could not be sent at all. */
  send(attempt: UdpAttempt): boolean {
    if (this.closed) return false;
    const { random, maxQueries, maxAgeMs } = this.opts;
    const slot = random.below(this.slots.length);
    let ps = this.slots[slot] ?? null;
    const now = performance.now();
    if (ps !== null && now - ps.bornAt >= maxAgeMs) {
      this.retire(slot, ps);
      ps = null;
    }
    if (ps === null) {
      ps = this.openSocket(now);
      this.slots[slot] = ps;
    }

    let id = random.uint16();
    for (let i = 1; i < ID_TRIES && ps.inflight.has(id); i++) id = random.uint16();
    if (ps.inflight.has(id)) return false;

    attempt.socket = ps;
    attempt.id = id;
    ps.inflight.set(id, attempt);
    ps.uses++;
    const query = attempt.waiter.query;
    query.writeUInt16BE(id, 0);
    this.opts.stats.udpSent++;
    ps.socket.send(query, attempt.target.port, attempt.target.address, (err) => {
      if (err !== null && err !== undefined) this.fail(attempt);
    });
    if (ps.uses >= maxQueries) this.retire(slot, ps);
    return true;
  }

  /** Forgets `attempt`: a reply for it arriving later is discarded as unknown. */
  cancel(attempt: UdpAttempt): void {
    const ps = attempt.socket;
    if (ps === null) return;
    attempt.socket = null;
    if (ps.inflight.get(attempt.id) === attempt) ps.inflight.delete(attempt.id);
    if (ps.retired && ps.inflight.size === 0) this.closeSocket(ps);
  }

  /** Closes every socket; callers cancel their attempts first. */
  async close(): Promise<void> {
    this.closed = true;
    this.slots.fill(null);
    for (const ps of this.open) this.closeSocket(ps);
    await Promise.all([...this.closing]);
  }

  private openSocket(now: number): PooledSocket {
    const { family, stats } = this.opts;
    // ipv6Only keeps IPv4 traffic off the IPv6 pool: each family's replies arrive on that family's sockets.
    const socket = createSocket({ type: family === 4 ? 'udp4' : 'udp6', ipv6Only: family === 6 });
    const ps = new PooledSocket(socket, now);
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.onMessage(ps, msg, rinfo));
    socket.on('error', () => this.onSocketError(ps));
    // Port 0: the kernel picks a random ephemeral port for each new socket.
    socket.bind(0, family === 4 ? '0.0.0.0' : '::');
    // Pending queries hold their own timers; an idle pool must not keep the process alive.
    socket.unref();
    this.open.add(ps);
    stats.socketsOpened++;
    return ps;
  }

  private onMessage(ps: PooledSocket, msg: Buffer, rinfo: RemoteInfo): void {
    const attempt = msg.length >= 12 ? ps.inflight.get(msg.readUInt16BE(0)) : undefined;
    if (
      attempt === undefined ||
      rinfo.port !== attempt.target.port ||
      rinfo.address !== attempt.target.address ||
      !isAnswerTo(msg, attempt.id, attempt.waiter.query, attempt.waiter.questionEnd)
    ) {
      // Silently: a spoofed or stray datagram must not disturb the query it pretends to answer.
      this.opts.stats.discarded++;
      return;
    }
    this.cancel(attempt);
    attempt.waiter.udpReply(attempt, msg);
  }

  /** A send failed: only that attempt is lost. */
  private fail(attempt: UdpAttempt): void {
    const ps = attempt.socket;
    if (ps === null || ps.inflight.get(attempt.id) !== attempt) return;
    this.cancel(attempt);
    attempt.waiter.udpFailed(attempt);
  }

  /** The socket itself broke (e.g. bind failed): take it out and fail everything waiting on it. */
  private onSocketError(ps: PooledSocket): void {
    const slot = this.slots.indexOf(ps);
    if (slot >= 0) this.slots[slot] = null;
    ps.retired = true;
    const waiting = [...ps.inflight.values()];
    ps.inflight.clear();
    this.closeSocket(ps);
    for (const attempt of waiting) {
      attempt.socket = null;
      attempt.waiter.udpFailed(attempt);
    }
  }

  private retire(slot: number, ps: PooledSocket): void {
    if (this.slots[slot] === ps) this.slots[slot] = null;
    ps.retired = true;
    if (ps.inflight.size === 0) this.closeSocket(ps);
  }

  private closeSocket(ps: PooledSocket): void {
    if (!this.open.delete(ps)) return;
    const stats = this.opts.stats;
    const done = new Promise<void>((resolve) => {
      const closed = (): void => {
        stats.socketsClosed++;
        this.closing.delete(done);
        resolve();
      };
      try {
        ps.socket.close(closed);
      } catch {
        // Already closed (a failed bind closes the socket): nothing left to release.
        queueMicrotask(closed);
      }
    });
    this.closing.add(done);
  }
}
