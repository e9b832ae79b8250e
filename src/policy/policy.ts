/** The policy: every enforced list merged into one trie, each entry knowing its list, vendor and legal basis. */
import type { ListConfig } from '../config/types.js';
import { HradbaError, formatLocated } from '../errors.js';
import { normalizeDomain } from './domain-name.js';
import { PolicyCompiler, policyFromData, type PolicyData, type PrefixData } from './compiled-policy.js';
import { checkList, parseList, readListText, type EntrySink, type ListEntry, type LoadedList } from './list-file.js';
import type { ProblemReport } from './list-problems.js';
import type { ListInfo, ListProblem, PolicyEntry } from './types.js';

/** One enforced list as the policy saw it. */
export interface ListSummary {
  readonly info: ListInfo;
  /** Entries read from the list file (duplicates included; the trie keeps the first of each). */
  readonly entries: number;
  /** Entries that repeat one of the list's own (counted in `entries`, stored once). */
  readonly duplicates?: number;
  /** The list's problems, bounded: whole-file ones, a count line, the first line samples (fewer than maxBadLines). */
  readonly problems: readonly ListProblem[];
  /** Every problem counted per reason. */
  readonly report?: ProblemReport;
  /** The file ended with its `#@end` trailer: a reload of a version without one (a cut file) is refused. */
  readonly sealed?: boolean;
  /**
   * The list's text and the config entry it was read with, kept for mandatory lists only: a later reload that
   * cannot use the file parses this again instead (text, not parsed entries: it crosses to the builder thread).
   */
  readonly source?: ListSource;
}

/** The last good text of a mandatory list and the config entry it was parsed with. */
export interface ListSource {
  readonly text: string;
  readonly cfg: ListConfig;
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
  readonly prev?: PolicyInForce;
  /** A list may lose at most this percentage of its entries against `prev` (100: no limit). */
  readonly shrinkGuard?: number;
  /** Skip the shrink guard and the mandatory-list removal check (an operator's explicit decision). */
  readonly force?: boolean;
}

/** What a build needs of the policy in force: plain data, so it crosses to a worker thread. */
export interface PrevPolicyData {
  readonly version: number;
  readonly lists: ReadonlyArray<Pick<ListSummary, 'info' | 'entries' | 'source' | 'sealed'>>;
}

/** BuildPolicyOptions with the policy in force reduced to plain data (what the builder thread receives). */
export interface BuildPolicyDataOptions {
  readonly prev?: PrevPolicyData;
  readonly shrinkGuard?: number;
  readonly force?: boolean;
}

/** What a reload needs of the policy in force: its version and its lists (a Policy, or the data it was made from). */
export type PolicyInForce = Pick<Policy, 'version' | 'lists'>;

/** prevPolicyData takes from a policy what the next build needs: per list its info, entry count and kept text. */
export function prevPolicyData(policy: PolicyInForce): PrevPolicyData {
  return {
    version: policy.version,
    lists: policy.lists.map((l) => ({
      info: l.info,
      entries: l.entries,
      ...(l.source === undefined ? {} : { source: l.source }),
      ...(l.sealed === true ? { sealed: true } : {}),
    })),
  };
}

/** dataOptions turns BuildPolicyOptions into their plain-data form. */
export function dataOptions(opts: BuildPolicyOptions): BuildPolicyDataOptions {
  return {
    ...(opts.prev === undefined ? {} : { prev: prevPolicyData(opts.prev) }),
    ...(opts.shrinkGuard === undefined ? {} : { shrinkGuard: opts.shrinkGuard }),
    ...(opts.force === undefined ? {} : { force: opts.force }),
  };
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
  /**
   * release frees the policy's arrays without waiting for a garbage collection (one array per event-loop turn),
   * for a retired policy no query uses any more. Any lookup from the call on throws (the query fails closed); it
   * never reads as "allowed". Resolves once every array is freed.
   */
  release(): Promise<void>;
  /** Bytes held by the policy's arrays (0 once released). */
  memoryBytes(): number;
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
  return policyFromData(await buildPolicyData(lists, maxBadLines, dataOptions(opts)), version);
}

/**
 * checkSealed refuses a list whose version in force ended with its `#@end` trailer while this one has none: a
 * file cut anywhere loses its last line first, and the trailer is that line.
 */
function checkSealed(list: LoadedList, before: Pick<ListSummary, 'sealed'> | undefined): LoadedList {
  if (before?.sealed === true && list.sealed !== true && list.format === 'hradba') {
    const message = "the list in force ended with its '#@end: N' trailer and this version has none: the file was cut (a forced reload, SIGUSR2, accepts it)";
    throw new HradbaError('HRADBA_ERR_LIST', `${list.info.file}: ${message}`, { problems: [{ file: list.info.file, line: 0, message }, ...list.problems] });
  }
  return list;
}

/** One list that goes into the policy, as read now or (kept) as read before. */
interface UsedList {
  readonly list: LoadedList;
  readonly cfg: ListConfig;
  /** The previous version's summary, when a mandatory list was kept. */
  readonly kept?: Pick<ListSummary, 'info' | 'entries' | 'source'>;
  readonly source?: ListSource;
}

/**
 * buildPolicyKeepingEntries builds the policy as buildPolicy does and also keeps every list's entries, from the
 * same one read of each file (for `export rpz`, which writes them out one by one), in the order of `policy.lists`.
 */
export async function buildPolicyKeepingEntries(
  lists: readonly ListConfig[],
  maxBadLines: number,
  version: number,
): Promise<{ policy: Policy; entries: ListEntry[][] }> {
  const entries: ListEntry[][] = [];
  const tee = (index: number, sink: EntrySink): EntrySink => {
    const kept: ListEntry[] = [];
    entries[index] = kept;
    return (domain, exact, line, allow) => {
      kept.push(allow === true ? { domain, exact, line, allow: true } : { domain, exact, line });
      sink(domain, exact, line, allow);
    };
  };
  const policy = policyFromData(await buildPolicyData(lists, maxBadLines, {}, tee), version);
  return { policy, entries };
}

/**
 * buildPolicyData loads and compiles the lists into plain typed arrays (what a worker builds and transfers).
 * `tee` (same thread only) may wrap each list's entry sink, to see the entries as they go into the trie.
 */
export async function buildPolicyData(
  lists: readonly ListConfig[],
  maxBadLines: number,
  opts: BuildPolicyDataOptions = {},
  tee?: (index: number, sink: EntrySink) => EntrySink,
): Promise<PolicyData> {
  const enabled = lists.filter((l) => l.enabled);
  // Files are read in parallel, then parsed one by one in config order straight into the trie, so the
  // first list wins a shared name and no object per entry is ever held.
  const texts = await Promise.allSettled(enabled.map((cfg) => readListText(cfg)));
  const compiler = new PolicyCompiler();
  const prevByFile = new Map<string, Pick<ListSummary, 'info' | 'entries' | 'source' | 'sealed'>>();
  for (const l of opts.prev?.lists ?? []) prevByFile.set(l.info.file, l);

  const problems: ListProblem[] = [];
  const failures: string[] = [];
  const used: UsedList[] = [];
  const kept: KeptList[] = [];
  texts.forEach((r, i) => {
    const cfg = enabled[i];
    if (cfg === undefined) return;
    const file = cfg.file;
    const before = prevByFile.get(file);
    // A mandatory list with a previous version falls back to it when the new one fails.
    const fallback = cfg.mandatory === true && before?.source !== undefined ? before : undefined;
    try {
      if (r.status === 'rejected') throw r.reason;
      // With a fallback the list is checked before it goes into the trie: a rejected version must leave no entry behind.
      if (fallback !== undefined) checkSealed(checkList(parseList(r.value, cfg, () => undefined), maxBadLines), opts.force === true ? undefined : before);
      // Without one, a list that fails still went into the trie, but then the whole build fails and the trie is dropped.
      const sink = compiler.sinkFor(used.length);
      const list = checkSealed(checkList(parseList(r.value, cfg, tee === undefined ? sink : tee(used.length, sink)), maxBadLines), opts.force === true ? undefined : before);
      // Its warnings stay with the list (ListSummary.problems); the error lists only what made lists fail.
      used.push({ list, cfg, ...(cfg.mandatory === true ? { source: { text: r.value, cfg } } : {}) });
    } catch (err) {
      const errProblems: ListProblem[] = err instanceof HradbaError ? [...err.problems] : [];
      // Not ours (a bug, or an I/O failure we did not foresee): still reported in the same shape.
      const message = err instanceof Error ? err.message : String(err);
      if (errProblems.length === 0) errProblems.push({ file, line: 0, message });
      // Fail closed: a mandatory list that breaks on reload keeps its previous version; the reload goes on.
      const source = fallback?.source;
      if (fallback !== undefined && source !== undefined) {
        // The kept text passed its checks when it was first read: parsed again, it gives the same entries.
        const list = parseList(source.text, source.cfg, compiler.sinkFor(used.length));
        used.push({ list, cfg, kept: fallback, source });
        kept.push({ id: fallback.info.id, file, fromVersion: opts.prev?.version ?? 0, errors: errProblems.map(formatLocated) });
        return;
      }
      failures.push(err instanceof HradbaError ? message : `${file}: ${message}`);
      problems.push(...errProblems);
    }
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
      for (const { list, kept: wasKept } of used) {
        const before = prevByFile.get(list.info.file);
        if (wasKept !== undefined || before === undefined) continue;
        const floor = before.entries * (1 - guard / 100);
        const now = list.entryCount + (list.prefixes?.length ?? 0);
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
  for (const { list: l } of used) {
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

  const prefixes: PrefixData[] = [];
  const summaries: ListSummary[] = used.map(({ list: l, cfg, kept: wasKept, source }, index) => {
    for (const p of l.prefixes ?? []) prefixes.push({ list: index, cidr: p.cidr, line: p.line });
    // A kept list keeps its old ListInfo; a fresh one takes mode, mandatory and review from its config entry.
    const info: ListInfo = wasKept?.info ?? {
      ...l.info,
      mode: cfg.mode ?? 'enforce',
      mandatory: cfg.mandatory === true,
      ...(cfg.review === undefined ? {} : { review: cfg.review }),
    };
    const { duplicates } = compiler.countsOf(index);
    return {
      info,
      entries: l.entryCount + (l.prefixes?.length ?? 0),
      ...(duplicates > 0 ? { duplicates } : {}),
      problems: l.problems.slice(),
      report: l.report,
      ...(l.sealed === true ? { sealed: true } : {}),
      ...(cfg.mandatory === true && source !== undefined ? { source } : {}),
    };
  });
  return compiler.finish(summaries, prefixes, kept);
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
