/** Conditional forwarding: which upstream pool a name goes to. The longest matching `forwardZones` zone wins, else the default pool. */
import type { Forwarder } from './types.js';

/** Routes names to pools; built per snapshot. */
export class ForwardRouter {
  private readonly zones: ReadonlyMap<string, Forwarder>;

  constructor(
    readonly defaultPool: Forwarder,
    zones: ReadonlyMap<string, Forwarder>,
  ) {
    this.zones = zones;
  }

  /** Every pool, the default first. */
  get pools(): Forwarder[] {
    return [this.defaultPool, ...this.zones.values()];
  }

  /** The pool of the longest zone at or above `qname` (lower-case presentation form), or null when no rule applies. */
  zonePool(qname: string): Forwarder | null {
    if (this.zones.size === 0) return null;
    const zone = longestZone(qname, this.zones);
    return zone === null ? null : (this.zones.get(zone) ?? null);
  }
}

/** The longest of `zones` (lower-case, no trailing dot) that `qname` is at or below, or null. */
export function longestZone(qname: string, zones: { has(zone: string): boolean }): string | null {
  // From the whole name towards the root: the first hit is the longest zone. A dot escaped inside a label
  // ('\.') is not a label boundary.
  for (let at = 0; at >= 0 && at < qname.length; ) {
    const candidate = at === 0 ? qname : qname.slice(at);
    if (zones.has(candidate)) return candidate;
    let dot = qname.indexOf('.', at);
    while (dot > 0 && qname.charCodeAt(dot - 1) === 0x5c) dot = qname.indexOf('.', dot + 1);
    at = dot < 0 ? -1 : dot + 1;
  }
  return null;
}

