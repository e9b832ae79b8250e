/**
 * The compiled form of a policy: one CompactTrie plus, per entry, its list and line, all in typed arrays.
 * It is what a worker thread builds and transfers; the serving thread wraps it without copying.
 */
import { CompactTrie, type CompactTrieData } from './compact-trie.js';
import type { EntrySink, LoadedList } from './list-file.js';
import type { ListSummary, Policy } from './policy.js';
import type { PolicyEntry } from './types.js';

/** Plain data (typed arrays and JSON-like objects): survives structured clone, its buffers can be transferred. */
export interface PolicyData {
  readonly trie: CompactTrieData;
  /** Per entry: index into `lists` of the list it came from. */
  readonly entryList: Uint16Array;
  /** Per entry: 1-based line in its list file. */
  readonly entryLine: Int32Array;
  readonly lists: readonly ListSummary[];
}

/** The most lists one policy can hold (entryList is 16 bits wide); far beyond any real config. */
const MAX_LISTS = 0xffff;

/** PolicyCompiler adds the entries of each list as they are parsed, in config order (the first list wins a shared name). */
export class PolicyCompiler {
  readonly #trie = new CompactTrie();
  #entryList = new Uint16Array(1024);
  #entryLine = new Int32Array(1024);

  /** sinkFor returns the entry callback for the list at `index` (its position among the loaded lists). */
  sinkFor(index: number): EntrySink {
    if (index >= MAX_LISTS) throw new RangeError(`at most ${MAX_LISTS} lists per policy`);
    return (domain, exact, line) => {
      const n = this.#trie.add(domain, exact);
      if (n < 0) return;
      if (n >= this.#entryList.length) {
        const list = new Uint16Array(this.#entryList.length * 2);
        list.set(this.#entryList);
        this.#entryList = list;
        const lines = new Int32Array(this.#entryLine.length * 2);
        lines.set(this.#entryLine);
        this.#entryLine = lines;
      }
      this.#entryList[n] = index;
      this.#entryLine[n] = line;
    };
  }

  /** finish returns the compiled data, arrays trimmed to the entries stored. */
  finish(loaded: readonly LoadedList[]): PolicyData {
    const count = this.#trie.entryCount;
    const lists = loaded.map((l) => ({ info: l.info, entries: l.entryCount, problems: l.problems.slice() }));
    return { trie: this.#trie.data(), entryList: this.#entryList.slice(0, count), entryLine: this.#entryLine.slice(0, count), lists };
  }
}

/** compilePolicy compiles lists already parsed into memory (entries in `entries`). */
export function compilePolicy(loaded: readonly LoadedList[]): PolicyData {
  const compiler = new PolicyCompiler();
  loaded.forEach((l, index) => {
    const sink = compiler.sinkFor(index);
    for (const e of l.entries) sink(e.domain, e.exact, e.line);
  });
  return compiler.finish(loaded);
}

/** transferablesOf lists the buffers of a PolicyData, for postMessage's transfer list. */
export function transferablesOf(data: PolicyData): ArrayBuffer[] {
  const t = data.trie;
  const arrays = [t.labelBytes, t.labelStart, t.labelSlots, t.nodeParent, t.nodeLabel, t.nodeSuffix, t.nodeExact, t.edgeSlots, t.entryNode, data.entryList, data.entryLine];
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

/** Matched entries are rebuilt from the arrays; a small direct-mapped cache spares repeat blocks the work. */
const ENTRY_CACHE_SIZE = 4096;

/** policyFromData wraps compiled data as the immutable Policy the server queries. */
export function policyFromData(data: PolicyData, version: number): Policy {
  const trie = new CompactTrie(data.trie);
  const lists = Object.freeze(
    data.lists.map((l) => Object.freeze({ info: Object.freeze(l.info), entries: l.entries, problems: Object.freeze(l.problems.slice()) })),
  );
  const cache: Array<PolicyEntry | undefined> = new Array<PolicyEntry | undefined>(ENTRY_CACHE_SIZE);
  const cacheIds = new Int32Array(ENTRY_CACHE_SIZE).fill(-1);
  const entryOf = (n: number): PolicyEntry => {
    const slot = n & (ENTRY_CACHE_SIZE - 1);
    const hit = cache[slot];
    if (hit !== undefined && cacheIds[slot] === n) return hit;
    const list = lists[data.entryList[n] ?? 0];
    if (list === undefined) throw new RangeError(`policy entry ${n} has no list`);
    const entry: PolicyEntry = Object.freeze({ domain: trie.domainOf(n), exact: trie.isExact(n), list: list.info, line: data.entryLine[n] ?? 0 });
    cache[slot] = entry;
    cacheIds[slot] = n;
    return entry;
  };
  return Object.freeze({
    version,
    lists,
    entryCount: trie.entryCount,
    match: (qname: string) => {
      const n = trie.match(qname);
      return n < 0 ? undefined : entryOf(n);
    },
    matchAll: (qname: string) => trie.matchAll(qname).map(entryOf),
  });
}
