/**
 * The verdict for one name and one client group: block, allow by exception, log only, anti-bypass, or allow.
 * Precedence, within the client's group: an exception in force wins over everything; then an enforced list
 * entry; then an anti-bypass signal; then a log-only list entry. Lists not enforced for the group are ignored.
 */
import type { BypassRule } from './anti-bypass.js';
import { activeException, type ClientGroup, type ExceptionRule } from './client-groups.js';
import type { DomainTrie } from './domain-trie.js';
import type { Policy } from './policy.js';
import type { PolicyEntry } from './types.js';

export type Verdict =
  | { readonly kind: 'allow' }
  | { readonly kind: 'block'; readonly entry: PolicyEntry }
  | { readonly kind: 'log-only'; readonly entry: PolicyEntry }
  | { readonly kind: 'bypass'; readonly rule: BypassRule }
  /** An exception of the group overrode a block, a signal or a log-only entry (`overridden`). */
  | { readonly kind: 'exception'; readonly exception: ExceptionRule; readonly overridden: Exclude<Verdict, { kind: 'allow' | 'exception' }> };

/** The one allow verdict: the common case allocates nothing. */
export const ALLOW: Verdict = Object.freeze({ kind: 'allow' });

/** What a verdict is computed from; all of it lives in the snapshot. */
export interface VerdictContext {
  readonly policy: Policy;
  readonly bypass: DomainTrie<BypassRule>;
}

/** appliesTo says whether a list's entries count for a group at all. */
function appliesTo(entry: PolicyEntry, group: ClientGroup): boolean {
  return group.lists === null || group.lists.has(entry.list.id);
}

/** listVerdict finds the winning enforced entry (or else the first log-only one) among those covering qname. */
function listVerdict(ctx: VerdictContext, group: ClientGroup, qname: string, first: PolicyEntry): Verdict {
  // Fast path: every list applies and the winner enforces.
  if (group.lists === null && first.list.mode !== 'log-only' && first.allow !== true) return { kind: 'block', entry: first };
  let logOnly: PolicyEntry | undefined;
  for (const e of ctx.policy.matchAll(qname)) {
    if (!appliesTo(e, group)) continue;
    // A list's own allow entry (AdBlock '@@', RPZ passthru) ends the search where it is the most specific match.
    if (e.allow === true) return logOnly === undefined ? ALLOW : { kind: 'log-only', entry: logOnly };
    if (e.list.mode === 'log-only') {
      logOnly ??= e;
      continue;
    }
    return { kind: 'block', entry: e };
  }
  return logOnly === undefined ? ALLOW : { kind: 'log-only', entry: logOnly };
}

/** decide gives the verdict for qname (lower-case, no trailing dot) asked by a client of `group` at `nowMs`. */
export function decide(
  ctx: VerdictContext,
  group: ClientGroup,
  qname: string,
  nowMs: number,
  onExpired?: (rule: ExceptionRule) => void,
): Verdict {
  const first = ctx.policy.match(qname);
  const rule = ctx.bypass.match(qname);
  if (first === undefined && rule === undefined) return ALLOW;
  let v = first === undefined ? ALLOW : listVerdict(ctx, group, qname, first);
  // An enforced entry outranks a bypass signal (the same NXDOMAIN, but the log names the list and its basis).
  if (rule !== undefined && v.kind !== 'block') v = { kind: 'bypass', rule };
  if (v.kind === 'allow' || v.kind === 'exception') return v;
  const exception = activeException(group, qname, nowMs, onExpired);
  return exception === undefined ? v : { kind: 'exception', exception, overridden: v };
}
