/** Rate-limits the log of upstream health changes, so an upstream that flaps costs two lines a minute, not two a flap. */
import { performance } from 'node:perf_hooks';
import type { Upstream } from '../config/types.js';

export type HealthEvent = 'upstream-down' | 'upstream-up';

/** Receives the changes worth a line; `suppressed` counts the earlier changes since the previous line that got none. */
export type HealthListener = (event: HealthEvent, upstream: Upstream, fails: number, lastError: string | null, suppressed: number) => void;

/** One upstream's line-keeping: its current window, the lines told in it, and the newest change not yet told. */
interface UpstreamLine {
  windowStart: number;
  told: number;
  unlogged: number;
  pending: { event: HealthEvent; upstream: Upstream; fails: number; lastError: string | null } | null;
  timer: NodeJS.Timeout | null;
}

/**
 * The first `burst` changes of an upstream in a window of `quietMs` are told at once (by default 2: it went down, it
 * came back); further changes in that window are held back and, when it ends, told as one line carrying the state
 * then and how many changes it stands for, which opens the next window. So an upstream that dies is reported down
 * at once and one that recovers is reported back at once, while one that flips down and up many times a second
 * gets at most `burst` lines per `quietMs`, always ending on its true state.
 */
export class HealthLog {
  private readonly lines = new Map<number, UpstreamLine>();

  constructor(
    private readonly listener: HealthListener,
    private readonly quietMs: number,
    private readonly burst = 2,
  ) {}

  /** Upstream number `index` changed to `event`. */
  changed(index: number, event: HealthEvent, upstream: Upstream, fails: number, lastError: string | null): void {
    let line = this.lines.get(index);
    if (line === undefined) {
      line = { windowStart: Number.NEGATIVE_INFINITY, told: 0, unlogged: 0, pending: null, timer: null };
      this.lines.set(index, line);
    }
    const now = performance.now();
    if (line.timer === null && now - line.windowStart >= this.quietMs) {
      line.windowStart = now;
      line.told = 0;
    }
    if (line.timer === null && line.told < this.burst) {
      line.told++;
      this.listener(event, upstream, fails, lastError, 0);
      return;
    }
    line.unlogged++;
    line.pending = { event, upstream, fails, lastError };
    if (line.timer === null) {
      line.timer = setTimeout(() => this.flush(line), Math.ceil(Math.max(0, line.windowStart + this.quietMs - now)));
      line.timer.unref();
    }
  }

  /** Tells what is held back now (the pool is closing: no change may go untold). */
  close(): void {
    for (const line of this.lines.values()) this.flush(line);
  }

  private flush(line: UpstreamLine): void {
    if (line.timer !== null) clearTimeout(line.timer);
    line.timer = null;
    const p = line.pending;
    if (p === null) return;
    const suppressed = line.unlogged - 1;
    line.pending = null;
    line.unlogged = 0;
    line.windowStart = performance.now();
    line.told = 1;
    this.listener(p.event, p.upstream, p.fails, p.lastError, suppressed);
  }
}
