/** The policy: every enforced list merged into one trie, each entry knowing its list, vendor and legal basis. */
import type { ListConfig } from '../config/types.js';
import { HradbaError, formatLocated } from '../errors.js';
import { normalizeDomain } from './domain-name.js';
import { DomainTrie } from './domain-trie.js';
import { PrefixTable } from './prefix-table.js';
import { loadList, type LoadedList } from './list-file.js';
import type { ListInfo, ListProblem, PolicyEntry } from './types.js';

/** One enforced list as the policy saw it. */
export interface ListSummary {
  readonly info: ListInfo;
  /** Entries read from the list file (duplicates included; the trie keeps the first of each). */
  readonly entries: number;
  /** Bad lines that were skipped (fewer than maxBadLines). */
  readonly problems: readonly ListProblem[];
  /** The parsed list, kept for mandatory lists only: a later reload that cannot read the file keeps this version. */
  readonly loaded?: LoadedList;
}

/** A mandatory list whose reload failed, so its previous version stayed in force. */
export interface KeptList {
  readonly id: string;
  readonly file: string;
  /** The previous version's policy version. */
  readonly fromVersion: number;
  readonly errors: readonly string[];
}

/** How a reload may differ from the policy in force. */
export interface BuildPolicyOptions {
  /** The policy in force (on reload); absent at start. */
  readonly prev?: Policy;
  /** A list may lose at most this percentage of its entries against `prev` (100: no limit). */
  readonly shrinkGuard?: number;
  /** Skip the shrink guard and the mandatory-list removal check (an operator's explicit decision). */
  readonly force?: boolean;
}

/** An immutable, compiled policy; a reload builds a new one and swaps it in whole. */
export interface Policy {
  readonly version: number;
  /** The enforced lists, in config order (earlier lists win a name both list). */
  readonly lists: readonly ListSummary[];
  /** Distinct entries in the trie. */
  readonly entryCount: number;
  /** Mandatory lists that failed to reload and were kept at their previous version. */
  readonly kept: readonly KeptList[];
  /** The winning entry for a query name (lower-case, no trailing dot), or undefined when it is allowed. */
  match(qname: string): PolicyEntry | undefined;
  /** Every entry covering the name, most specific (the winner) first. */
  matchAll(qname: string): readonly PolicyEntry[];
  /** Networks of the prefix lists (answer-IP inspection); 0 turns the inspection off. */
  readonly prefixCount: number;
  /** Every prefix-list entry holding an address (4 or 16 bytes), most specific first; `domain` is the network as written. */
  matchAddress(bytes: Uint8Array, v4: boolean): readonly PolicyEntry[];
}

/**
 * buildPolicy loads the enabled lists in parallel and compiles them into one trie. Throws one
 * HradbaError('HRADBA_ERR_LIST') when any enabled list fails, carrying the problems of every failed list
 * (and duplicate ids), so one run shows everything to fix.
 */
export async function buildPolicy(
  lists: readonly ListConfig[],
  maxBadLines: number,
  version: number,
  opts: BuildPolicyOptions = {},
): Promise<Policy> {
  const enabled = lists.filter((l) => l.enabled);
  const results = await Promise.allSettled(enabled.map((cfg) => loadList(cfg, maxBadLines)));
  const prevByFile = new Map<string, ListSummary>();
  for (const l of opts.prev?.lists ?? []) prevByFile.set(l.info.file, l);

  const problems: ListProblem[] = [];
  const failures: string[] = [];
  const loaded: Array<{ list: LoadedList; cfg: ListConfig; kept?: ListSummary }> = [];
  const kept: KeptList[] = [];
  results.forEach((r, i) => {
    const cfg = enabled[i]!;
    if (r.status === 'fulfilled') {
      // Its warnings stay with the list (ListSummary.problems); the error lists only what made lists fail.
      loaded.push({ list: r.value, cfg });
      return;
    }
    const err: unknown = r.reason;
    const file = cfg.file;
    const errProblems: ListProblem[] = err instanceof HradbaError ? [...err.problems] : [];
    // Not ours (a bug, or an I/O failure we did not foresee): still reported in the same shape.
    const message = err instanceof Error ? err.message : String(err);
    if (errProblems.length === 0) errProblems.push({ file, line: 0, message });
    // Fail closed: a mandatory list that breaks on reload keeps its previous version; the reload goes on.
    const before = prevByFile.get(file);
    if (cfg.mandatory === true && before?.loaded !== undefined) {
      loaded.push({ list: before.loaded, cfg, kept: before });
      kept.push({ id: before.info.id, file, fromVersion: opts.prev?.version ?? 0, errors: errProblems.map(formatLocated) });
      return;
    }
    failures.push(err instanceof HradbaError ? message : `${file}: ${message}`);
    problems.push(...errProblems);
  });

  // A reload must not quietly drop a mandatory list, nor lose most of a list's entries (a truncated download).
  if (opts.prev !== undefined && opts.force !== true) {
    const enabledFiles = new Set(enabled.map((l) => l.file));
    for (const before of opts.prev.lists) {
      if (before.info.mandatory === true && !enabledFiles.has(before.info.file)) {
        const message = `mandatory list '${before.info.id}' is no longer enabled in the config; a forced reload (SIGUSR2) removes it`;
        failures.push(`${before.info.file}: ${message}`);
        problems.push({ file: before.info.file, line: 0, message });
      }
    }
    const guard = opts.shrinkGuard ?? 100;
    if (guard < 100) {
      for (const { list, kept: wasKept } of loaded) {
        const before = prevByFile.get(list.info.file);
        if (wasKept !== undefined || before === undefined) continue;
        const floor = before.entries * (1 - guard / 100);
        const now = list.entries.length + (list.prefixes?.length ?? 0);
        if (now < floor) {
          const lost = Math.round((100 * (before.entries - now)) / before.entries);
          const message = `list '${list.info.id}' shrank from ${before.entries} to ${now} entries (${lost}% lost, shrinkGuard allows ${guard}%); a forced reload (SIGUSR2) accepts it`;
          failures.push(`${list.info.file}: ${message}`);
          problems.push({ file: list.info.file, line: 0, message });
        }
      }
    }
  }

  // Ids name lists in logs and reports; two lists with one id would make a block untraceable.
  const byId = new Map<string, string>();
  for (const { list: l } of loaded) {
    const first = byId.get(l.info.id);
    if (first === undefined) {
      byId.set(l.info.id, l.info.file);
      continue;
    }
    const message = `duplicate list id '${l.info.id}' (also used by ${first})`;
    failures.push(`${l.info.file}: ${message}`);
    problems.push({ file: l.info.file, line: 0, message });
  }

  if (failures.length > 0) {
    const summary = failures.length === 1 ? failures[0] ?? '' : `${failures.length} lists failed: ${failures.join('; ')}`;
    throw new HradbaError('HRADBA_ERR_LIST', summary, { problems });
  }

  const trie = new DomainTrie<PolicyEntry>();
  const prefixTable = new PrefixTable<PolicyEntry>();
  const summaries: ListSummary[] = [];
  for (const { list: l, cfg, kept: wasKept } of loaded) {
    // One ListInfo object per list, referenced by all of its entries; a kept list keeps its old one.
    const list: ListInfo =
      wasKept?.info ??
      Object.freeze({
        ...l.info,
        mode: cfg.mode ?? 'enforce',
        mandatory: cfg.mandatory === true,
        ...(cfg.review === undefined ? {} : { review: cfg.review }),
      });
    for (const e of l.entries) trie.add(e.domain, e.exact, { domain: e.domain, exact: e.exact, list, line: e.line, ...(e.allow === true ? { allow: true } : {}) });
    for (const p of l.prefixes ?? []) prefixTable.add(p.cidr, { domain: p.cidr, exact: false, list, line: p.line });
    summaries.push(
      Object.freeze({
        info: list,
        entries: l.entries.length + (l.prefixes?.length ?? 0),
        problems: Object.freeze(l.problems.slice()),
        ...(cfg.mandatory === true ? { loaded: l } : {}),
      }),
    );
  }

  return Object.freeze({
    version,
    lists: Object.freeze(summaries),
    entryCount: trie.size,
    kept: Object.freeze(kept),
    match: (qname: string) => trie.match(qname),
    matchAll: (qname: string) => trie.matchAll(qname),
    prefixCount: prefixTable.size,
    matchAddress: (bytes: Uint8Array, v4: boolean) => prefixTable.lookupAllBytes(bytes, v4),
  });
}

/** What `hradba explain` shows for a name: the entry that wins, and every entry on the name's path. */
export interface Explanation {
  /** The name as the policy sees it (normalised). */
  readonly qname: string;
  readonly match: PolicyEntry | undefined;
  /** Every entry covering the name, most specific first; `match` is the first. */
  readonly entries: readonly PolicyEntry[];
}

/** explainMatch normalises a name typed by an operator and says which entries cover it; HRADBA_ERR_USAGE if it is no name. */
export function explainMatch(policy: Policy, name: string): Explanation {
  const qname = normalizeDomain(name);
  if (typeof qname !== 'string') {
    throw new HradbaError('HRADBA_ERR_USAGE', `not a domain name: ${qname.error}`, {
      problems: [{ file: '<command line>', line: 0, message: qname.error }],
    });
  }
  return { qname, match: policy.match(qname), entries: policy.matchAll(qname) };
}
