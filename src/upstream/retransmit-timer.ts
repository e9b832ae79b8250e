/** When to send a UDP query to the same upstream again: a retransmission timeout learnt from its replies (RFC 6298). */

/** Never sooner than this: below it, a loaded event loop alone would cause copies. */
export const MIN_RETRANSMIT_MS = 50;
const GRAIN_MS = 10;

/**
 * The smoothed round-trip time and its variation for one upstream. Every UDP attempt carries its own ID, so each
 * reply is matched to the exact send it answers and every sample is clean (no retransmission ambiguity). Until the
 * first reply the timeout is the configured attempt time, as before any measurement.
 */
export class RetransmitTimer {
  private srttMs = 0;
  private rttvarMs = 0;
  private measured = false;

  /** One round trip of `rttMs` measured. */
  sample(rttMs: number): void {
    if (!this.measured) {
      this.srttMs = rttMs;
      this.rttvarMs = rttMs / 2;
      this.measured = true;
      return;
    }
    this.rttvarMs += (Math.abs(this.srttMs - rttMs) - this.rttvarMs) / 4;
    this.srttMs += (rttMs - this.srttMs) / 8;
  }

  /** How long to wait after the `sent`-th send of one query (0 = the first) before the next, at most `capMs`. */
  timeoutMs(sent: number, capMs: number): number {
    if (!this.measured) return capMs;
    // Whole steps of GRAIN_MS: Node keeps one timer list per distinct duration, and a new list per query is costly.
    const rto = Math.max(MIN_RETRANSMIT_MS, Math.ceil((this.srttMs + 4 * this.rttvarMs) / GRAIN_MS) * GRAIN_MS);
    // Exponential backoff: an upstream that drops under load gets fewer copies, not more.
    return Math.min(capMs, rto * 2 ** Math.min(sent, 16));
  }
}
