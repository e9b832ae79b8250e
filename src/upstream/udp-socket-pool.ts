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
 * Each query leaves from a socket drawn at random from those this round has not used yet (an incremental shuffle),
 * so consecutive queries leave from different source ports until the whole pool has been used once: with the
 * default 1,024 sockets, 200 queries in a row use 200 ports. Each port is the kernel's random choice from its
 * ephemeral range. A socket is retired after `maxQueries` queries or `maxAgeMs` (also when idle, by a sweep) and
 * closed once its in-flight queries are done, so the set of open ports keeps moving (RFC 5452 §9.2, §10) without
 * the cost of a socket per query. Slots are filled lazily: a family without upstreams never opens a socket.
 */
export class UdpSocketPool {
  private readonly slots: (PooledSocket | null)[];
  /** A permutation of the slot numbers; `order[0 .. drawn)` were used this round, the rest are still to come. */
  private readonly order: Uint16Array;
  private drawn = 0;
  /** Retires sockets past their age that no query has drawn (a quiet pool must not keep old ports open forever). */
  private sweeper: NodeJS.Timeout | null = null;
  /** Every socket not yet closed, in a slot or retired and draining. */
  private readonly open = new Set<PooledSocket>();
  /** Closes still in progress, so close() can wait for them; each removes itself when done. */
  private readonly closing = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly opts: UdpSocketPoolOptions) {
    // RandomSource.below draws from at most 65,536 choices (checked by the forwarder's options).
    const size = Math.max(1, Math.min(65_536, opts.size));
    this.slots = new Array<PooledSocket | null>(size).fill(null);
    this.order = new Uint16Array(size);
    for (let i = 0; i < size; i++) this.order[i] = i;
  }

  /** The next slot: uniform among the slots not drawn yet this round (one step of a Fisher-Yates shuffle). */
  private drawSlot(): number {
    const order = this.order;
    const n = order.length;
    if (this.drawn >= n) this.drawn = 0;
    const at = this.drawn + this.opts.random.below(n - this.drawn);
    const slot = order[at]!;
    order[at] = order[this.drawn]!;
    order[this.drawn++] = slot;
    return slot;
  }

  /** Sends the waiter's query to `attempt.target` under a fresh ID; false when it could not be sent at all. */
  send(attempt: UdpAttempt): boolean {
    if (this.closed) return false;
    const { random, maxQueries, maxAgeMs } = this.opts;
    const slot = this.drawSlot();
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
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
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
    if (this.sweeper === null) {
      this.sweeper = setInterval(() => this.sweep(), this.opts.maxAgeMs);
      this.sweeper.unref();
    }
    return ps;
  }

  /** Retires every pooled socket past its age, used or not. */
  private sweep(): void {
    const now = performance.now();
    for (let slot = 0; slot < this.slots.length; slot++) {
      const ps = this.slots[slot];
      if (ps !== null && ps !== undefined && now - ps.bornAt >= this.opts.maxAgeMs) this.retire(slot, ps);
    }
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
