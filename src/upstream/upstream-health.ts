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

  constructor(private readonly maxFails: number) {}

  /** Counts a failure; returns true when this one marks the upstream down. */
  failed(): boolean {
    this.fails++;
    if (this.down || this.fails < this.maxFails) return false;
    this.down = true;
    this.downSince = Date.now();
    return true;
  }

  /** Records a reply after `rttMs`; returns true when the upstream was down and is now back. */
  answered(rttMs: number): boolean {
    this.fails = 0;
    this.srttMs = this.srttMs === 0 ? rttMs : this.srttMs + (rttMs - this.srttMs) / 8;
    if (!this.down) return false;
    this.down = false;
    return true;
  }
}
