/** The footprint audit's output: a text report (hits, then counts) or one JSON document. */
import type { AuditFinding, AuditOutcome } from './footprint-audit.js';
import { describeReason } from './footprint-matcher.js';
import type { AuditResult } from './run-audit.js';

export interface OutputOptions {
  /** Only the undecided hits (the counts still cover everything). */
  readonly undecidedOnly?: boolean;
}

const ORDER: Record<AuditOutcome['kind'], number> = { undecided: 0, 'not-enforced': 1, excluded: 2 };

function shown(result: AuditResult, opts: OutputOptions): AuditFinding[] {
  const hits = result.audit.hits.filter((h) => opts.undecidedOnly !== true || h.outcome.kind === 'undecided');
  return hits.sort((a, b) => ORDER[a.outcome.kind] - ORDER[b.outcome.kind] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function describeOutcome(o: AuditOutcome): string {
  switch (o.kind) {
    case 'undecided':
      return 'undecided';
    case 'not-enforced':
      return `in list ${o.list} (${o.entry}), which the config does not enforce`;
    case 'excluded':
      return o.exclusions.map((e) => `excluded for ${e.vendor} (${e.reason}${e.name === '' ? '' : `, ${e.exact ? '=' : ''}${e.name}`}): ${e.why}`).join('; ');
  }
}

/** excludedCounts renders the per-reason counts, largest first. */
function excludedCounts(result: AuditResult): [string, number][] {
  return [...result.audit.counts.excluded].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/** formatText renders the report: one line per hit (undecided first), then the counts. */
export function formatText(result: AuditResult, opts: OutputOptions = {}): string {
  const lines: string[] = [];
  for (const h of shown(result, opts)) {
    const tag = h.outcome.kind === 'undecided' ? 'UNDECIDED' : 'excluded ';
    lines.push(`${tag} ${h.name} [${h.vendors.join(', ')}]: ${h.reasons.map(describeReason).join('; ')}`);
    if (h.outcome.kind !== 'undecided') lines.push(`          ${describeOutcome(h.outcome)}`);
  }
  const c = result.audit.counts;
  const files = result.sources.length;
  lines.push(
    `names read: ${c.read} (${c.distinct} distinct) from ${files} file${files === 1 ? '' : 's'}; enforced lists: ${result.lists.join(', ') || 'none'}`,
    `blocked: ${c.blocked}; allowed but vendor-looking (hits): ${c.hits}: ${c.undecided} undecided, ${c.hits - c.undecided} excluded`,
  );
  const ex = excludedCounts(result);
  if (ex.length > 0) lines.push(`excluded by reason: ${ex.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** formatJson renders the whole result as one JSON document. */
export function formatJson(result: AuditResult, opts: OutputOptions = {}): string {
  const c = result.audit.counts;
  return `${JSON.stringify(
    {
      lists: result.lists,
      vendors: result.vendors,
      sources: result.sources.map((s) => ({ file: s.file, lines: s.lines, names: s.names, header: s.header, unreadable: s.unreadable, samples: s.samples })),
      counts: { read: c.read, distinct: c.distinct, blocked: c.blocked, hits: c.hits, undecided: c.undecided, excluded: Object.fromEntries(excludedCounts(result)) },
      hits: shown(result, opts).map((h) => ({ name: h.name, vendors: h.vendors, reasons: h.reasons, outcome: h.outcome, decision: describeOutcome(h.outcome) })),
      warnings: result.warnings,
    },
    null,
    2,
  )}\n`;
}
