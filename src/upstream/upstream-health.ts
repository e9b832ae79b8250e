/** The health of one upstream: consecutive failures, down/up, and a smoothed round-trip time for the `fastest` strategy. */

/** What the pool knows about one upstream, updated on every exchange. */
export class UpstreamHealth {
  /** Consecutive failed exchanges (no reply in time, connection or TLS failure). */
  fails = 0;
  down = false;
  /** Smoothed round-trip time in ms (RFC 6298-style, alpha 1/8); 0 until the first reply. */
  srttMs = 0;
  /** When it was marked down (ms since epoch), for logs. */
  downSince = 0;
  /** performance.now() when it was marked down: only a probe sent after this may bring it back. */
  downAt = 0;
  /** performance.now() of its latest reply to anything (a query or a probe). */
  lastReplyAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly maxFails: number,
    /** A reply within this long (ms) shows the upstream still answers, whatever its timeouts say. */
    private readonly answeringWindowMs: number,
  ) {}

  /** Whether it replied to anything within the answering window before `now`. */
  answersAt(now: number): boolean {
    return now - this.lastReplyAt < this.answeringWindowMs;
  }

  /**
   * Counts a failure at `now`; returns true when this one marks the upstream down. `mayGoDown` false: the failure
   * alone may not take it out of service while it still answers (a timeout of the last upstream up).
   */
  failed(now: number, mayGoDown = true): boolean {
    this.fails++;
    if (this.down || this.fails < this.maxFails) return false;
    if (!mayGoDown && this.answersAt(now)) return false;
    this.down = true;
    this.downSince = Date.now();
    this.downAt = now;
    return true;
  }

  /**
   * Records a reply at `now` after `rttMs`; returns true when the upstream was down and is now back. While it is
   * down only `revives` brings it back (a probe sent after it went down), so a late answer to an earlier query does
   * not flip it up at once: the state changes at most once per probe interval.
   */
  answered(rttMs: number, now: number, revives = false): boolean {
    this.fails = 0;
    this.lastReplyAt = now;
    this.srttMs = this.srttMs === 0 ? rttMs : this.srttMs + (rttMs - this.srttMs) / 8;
    if (!this.down || !revives) return false;
    this.down = false;
    return true;
  }
}
