/**
 * The footprint audit: each name read is blocked by the policy in force, or allowed; an allowed name that looks
 * like an enabled vendor's is a hit, excluded by a recorded decision (the vendor data's exclusions, a list of the
 * config that is not enforced) or undecided. Tallies per outcome and reason for the summary.
 */
import type { FootprintMatcher, FootprintReason } from './footprint-matcher.js';
import { findExclusion, type Exclusion, type VendorFootprint } from './vendor-footprint.js';

/** What the policy in force does with a name, as far as the audit needs it. */
export interface PolicyView {
  /** The enforcing entry (as '=name' or 'name') and its list, when the name is blocked. */
  blocked(name: string): { readonly entry: string; readonly list: string } | undefined;
  /** A list the config names but does not enforce, holding the name (e.g. an optional -extended tier). */
  notEnforced(name: string): { readonly entry: string; readonly list: string } | undefined;
}

/** The audit's finding for one vendor-looking name. */
export type AuditOutcome =
  | { readonly kind: 'excluded'; readonly exclusions: readonly (Exclusion & { readonly vendor: string })[] }
  | { readonly kind: 'not-enforced'; readonly entry: string; readonly list: string }
  | { readonly kind: 'undecided' };

export interface AuditFinding {
  readonly name: string;
  readonly vendors: readonly string[];
  readonly reasons: readonly FootprintReason[];
  readonly outcome: AuditOutcome;
}

/** The audit of a stream of names: feed each with `add`, then read `findings` (allowed ones) and `counts`. */
export class FootprintAudit {
  private readonly seen = new Set<string>();
  /** Every vendor-looking name the policy allows (the hits), in reading order. */
  readonly hits: AuditFinding[] = [];
  readonly counts = {
    /** Names read, duplicates included. */
    read: 0,
    distinct: 0,
    /** Names the policy blocks (distinct). */
    blocked: 0,
    /** Vendor-looking names the policy allows (excluded + notEnforced + undecided). */
    hits: 0,
    undecided: 0,
    /** Excluded hits per reason key ('not-enforced:<list>' for a list the config names but does not enforce). */
    excluded: new Map<string, number>(),
  };

  constructor(
    private readonly matcher: FootprintMatcher,
    private readonly policy: PolicyView,
    private readonly footprints: ReadonlyMap<string, VendorFootprint>,
  ) {}

  /** add audits one normalised name and returns it when it is a hit; a name already seen is only counted as read. */
  add(name: string): AuditFinding | undefined {
    this.counts.read++;
    if (this.seen.has(name)) return undefined;
    this.seen.add(name);
    this.counts.distinct++;
    // Every blocked name counts, vendor-looking or not ('www.tiktok.com' has no reason: it is simply listed).
    if (this.policy.blocked(name) !== undefined) {
      this.counts.blocked++;
      return undefined;
    }
    const reasons = this.matcher.match(name);
    if (reasons.length === 0) return undefined;
    const finding = { name, vendors: [...new Set(reasons.map((r) => r.vendor))], reasons, outcome: this.outcomeOf(name, reasons) };
    this.counts.hits++;
    this.hits.push(finding);
    const o = finding.outcome;
    if (o.kind === 'undecided') this.counts.undecided++;
    else {
      const keys = o.kind === 'not-enforced' ? [`not-enforced:${o.list}`] : [...new Set(o.exclusions.map((e) => e.reason))];
      for (const k of keys) this.counts.excluded.set(k, (this.counts.excluded.get(k) ?? 0) + 1);
    }
    return finding;
  }

  private outcomeOf(name: string, reasons: readonly FootprintReason[]): AuditOutcome {
    // Decided only when every vendor it looks like has decided it: one vendor's exclusion says nothing of another's.
    const exclusions: (Exclusion & { vendor: string })[] = [];
    let all = true;
    for (const vendor of new Set(reasons.map((r) => r.vendor))) {
      const fp = this.footprints.get(vendor);
      const e = fp === undefined ? undefined : findExclusion(fp, name);
      if (e === undefined) all = false;
      else exclusions.push({ ...e, vendor });
    }
    if (all) return { kind: 'excluded', exclusions };
    const off = this.policy.notEnforced(name);
    if (off !== undefined) return { kind: 'not-enforced', ...off };
    return { kind: 'undecided' };
  }
}
