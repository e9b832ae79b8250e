/**
 * Says why a name looks like an enabled vendor's: a twin of a listed name (the same registrable label under
 * another public suffix), a keyword or brand of the vendor in one of its labels, or a tracker list naming it.
 */
import { registrable } from './registrable.js';

/** One reason a name looks like a vendor's. */
export type FootprintReason =
  | { readonly kind: 'twin'; readonly vendor: string; readonly listed: string; readonly list: string }
  | { readonly kind: 'keyword'; readonly vendor: string; readonly keyword: string; readonly label: string }
  | { readonly kind: 'tracker'; readonly vendor: string; readonly tracker: string; readonly entry: string };

/** A name of an enforced list, as the twin rule sees it. */
export interface ListedName {
  readonly vendor: string;
  readonly list: string;
  readonly domain: string;
}

/** What the matcher is built from: enforced list names, keywords and tracker attributions, each per vendor. */
export interface FootprintSources {
  readonly listed: Iterable<ListedName>;
  readonly keywords: Iterable<{ readonly vendor: string; readonly keyword: string }>;
  readonly tracked: Iterable<{ readonly vendor: string; readonly tracker: string; readonly name: string }>;
}

/** Matches names against the footprint of the enabled vendors; build once, ask per name. */
export class FootprintMatcher {
  /** Registrable label → listed registrable domains carrying it ('tiktokcdn-eu' → tiktokcdn-eu.com of list tiktok). */
  private readonly byLabel = new Map<string, ListedName[]>();
  private readonly keywords: { vendor: string; keyword: string }[] = [];
  /** Tracker-list name → who attributes it (a tracker name covers the names below it, as hagezi means it). */
  private readonly tracked = new Map<string, { vendor: string; tracker: string }[]>();

  constructor(sources: FootprintSources) {
    for (const l of sources.listed) {
      const r = registrable(l.domain);
      // Only entries that are a registrable domain have twins; 'uba.huaweicloud.com' says nothing of huaweicloud.*.
      if (r === null || r.domain !== l.domain) continue;
      const have = this.byLabel.get(r.label);
      if (have === undefined) this.byLabel.set(r.label, [l]);
      else if (!have.some((h) => h.domain === l.domain && h.vendor === l.vendor)) have.push(l);
    }
    for (const k of sources.keywords) this.keywords.push({ vendor: k.vendor, keyword: k.keyword.toLowerCase() });
    for (const t of sources.tracked) {
      const have = this.tracked.get(t.name);
      const by = { vendor: t.vendor, tracker: t.tracker };
      if (have === undefined) this.tracked.set(t.name, [by]);
      else if (!have.some((h) => h.vendor === by.vendor && h.tracker === by.tracker)) have.push(by);
    }
  }

  /** match returns every reason the name (normalised) looks like an enabled vendor's; empty when none. */
  match(name: string): FootprintReason[] {
    const reasons: FootprintReason[] = [];
    const r = registrable(name);
    if (r !== null) {
      const seen = new Set<string>();
      for (const l of this.byLabel.get(r.label) ?? []) {
        // The same registrable domain is the listed name itself (or below it): the policy decides that one.
        if (l.domain === r.domain || seen.has(l.vendor)) continue;
        seen.add(l.vendor);
        reasons.push({ kind: 'twin', vendor: l.vendor, listed: l.domain, list: l.list });
      }
    }
    if (this.keywords.length > 0) {
      const labels = name.split('.');
      const seen = new Set<string>();
      for (const k of this.keywords) {
        if (seen.has(k.vendor)) continue;
        const label = labels.find((x) => x.includes(k.keyword));
        if (label === undefined) continue;
        seen.add(k.vendor);
        reasons.push({ kind: 'keyword', vendor: k.vendor, keyword: k.keyword, label });
      }
    }
    if (this.tracked.size > 0) {
      for (let d = name; ; ) {
        for (const t of this.tracked.get(d) ?? []) reasons.push({ kind: 'tracker', vendor: t.vendor, tracker: t.tracker, entry: d });
        const dot = d.indexOf('.');
        if (dot < 0) break;
        d = d.slice(dot + 1);
      }
    }
    return reasons;
  }
}

/** describeReason says one reason in words, for the text output. */
export function describeReason(r: FootprintReason): string {
  switch (r.kind) {
    case 'twin':
      return `twin of ${r.listed} (list ${r.list})`;
    case 'keyword':
      return `keyword '${r.keyword}' in label '${r.label}'`;
    case 'tracker':
      return `tracker list ${r.tracker} names ${r.entry}`;
  }
}
