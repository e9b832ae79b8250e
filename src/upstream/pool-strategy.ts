/** The order in which a pool tries its upstreams for one query: sequential, round-robin or fastest. */
import type { PoolStrategy } from '../config/types.js';
import type { RandomSource } from './random-source.js';
import type { UpstreamHealth } from './upstream-health.js';

/** One in this many queries under `fastest` puts a random other upstream first, so its RTT stays known. */
const EXPLORE_ONE_IN = 20;

/** Chooses orders; holds the round-robin position. */
export class PoolStrategyState {
  private next = 0;
  constructor(
    private readonly strategy: PoolStrategy,
    private readonly random: RandomSource,
  ) {}

  /** Indexes of the upstreams that are up, in the order to try them. Empty when all are down. */
  order(health: readonly UpstreamHealth[]): number[] {
    const up: number[] = [];
    for (let i = 0; i < health.length; i++) if (!health[i]!.down) up.push(i);
    if (up.length <= 1) return up;
    if (this.strategy === 'round-robin') {
      const start = this.next++ % up.length;
      if (this.next >= 1 << 30) this.next = 0;
      return [...up.slice(start), ...up.slice(0, start)];
    }
    if (this.strategy === 'fastest') {
      // Unmeasured upstreams (srtt 0) sort first, so each gets measured.
      up.sort((a, b) => health[a]!.srttMs - health[b]!.srttMs);
      if (this.random.below(EXPLORE_ONE_IN) === 0) {
        const k = 1 + this.random.below(up.length - 1);
        const [picked] = up.splice(k, 1);
        up.unshift(picked!);
      }
    }
    return up;
  }
}
