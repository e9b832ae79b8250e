/** The policy: every enforced list merged into one trie, each entry knowing its list, vendor and legal basis. */
import type { ListConfig } from '../config/types.js';
import { HradbaError } from '../errors.js';
import { normalizeDomain } from './domain-name.js';
import { PolicyCompiler, policyFromData, type PolicyData } from './compiled-policy.js';
import { checkList, parseList, readListText, type LoadedList } from './list-file.js';
import type { ListInfo, ListProblem, PolicyEntry } from './types.js';

/** One enforced list as the policy saw it. */
export interface ListSummary {
  readonly info: ListInfo;
  /** Entries read from the list file (duplicates included; the trie keeps the first of each). */
  readonly entries: number;
  /** Bad lines that were skipped (fewer than maxBadLines). */
  readonly problems: readonly ListProblem[];
}

/** An immutable, compiled policy; a reload builds a new one and swaps it in whole. */
export interface Policy {
  readonly version: number;
  /** The enforced lists, in config order (earlier lists win a name both list). */
  readonly lists: readonly ListSummary[];
  /** Distinct entries in the trie. */
  readonly entryCount: number;
  /** The winning entry for a query name (lower-case, no trailing dot), or undefined when it is allowed. */
  match(qname: string): PolicyEntry | undefined;
  /** Every entry covering the name, most specific (the winner) first. */
  matchAll(qname: string): readonly PolicyEntry[];
}

/**
 * buildPolicy loads the enabled lists in parallel and compiles them into one trie. Throws one
 * HradbaError('HRADBA_ERR_LIST') when any enabled list fails, carrying the problems of every failed list
 * (and duplicate ids), so one run shows everything to fix.
 */
export async function buildPolicy(lists: readonly ListConfig[], maxBadLines: number, version: number): Promise<Policy> {
  return policyFromData(await buildPolicyData(lists, maxBadLines), version);
}

/** buildPolicyData loads and compiles the lists into plain typed arrays (what a worker builds and transfers). */
export async function buildPolicyData(lists: readonly ListConfig[], maxBadLines: number): Promise<PolicyData> {
  const enabled = lists.filter((l) => l.enabled);
  // Files are read in parallel, then parsed one by one in config order straight into the trie, so the
  // first list wins a shared name and no object per entry is ever held.
  const texts = await Promise.allSettled(enabled.map((cfg) => readListText(cfg)));
  const compiler = new PolicyCompiler();

  const problems: ListProblem[] = [];
  const failures: string[] = [];
  const loaded: LoadedList[] = [];
  texts.forEach((r, i) => {
    const cfg = enabled[i];
    if (cfg === undefined) return;
    try {
      if (r.status === 'rejected') throw r.reason;
      // A list that fails still went into the trie, but then the whole build fails and the trie is dropped.
      const list = checkList(parseList(r.value, cfg, compiler.sinkFor(loaded.length)), maxBadLines);
      // Its warnings stay with the list (ListSummary.problems); the error lists only what made lists fail.
      loaded.push(list);
    } catch (err) {
      if (err instanceof HradbaError) {
        failures.push(err.message);
        problems.push(...err.problems);
      } else {
        // Not ours (a bug, or an I/O failure we did not foresee): still reported in the same shape.
        const message = err instanceof Error ? err.message : String(err);
        failures.push(`${cfg.file}: ${message}`);
        problems.push({ file: cfg.file, line: 0, message });
      }
    }
  });

  // Ids name lists in logs and reports; two lists with one id would make a block untraceable.
  const byId = new Map<string, string>();
  for (const l of loaded) {
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
  return compiler.finish(loaded);
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
