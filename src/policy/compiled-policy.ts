/**
 * The compiled form of a policy: one CompactTrie plus, per entry, its list, line and allow flag, all in typed
 * arrays. It is what a worker thread builds and transfers; the serving thread wraps it without copying.
 */
import { CompactTrie, type CompactTrieData } from './compact-trie.js';
import type { EntrySink, LoadedList } from './list-file.js';
import type { KeptList, ListSummary, Policy } from './policy.js';
import { PrefixTable } from './prefix-table.js';
import type { PolicyEntry } from './types.js';

/** One network of a prefix list, as plain data (prefix lists are small: the table is rebuilt where it is used). */
export interface PrefixData {
  /** Index into `lists` of the list it came from. */
  readonly list: number;
  /** The network as written. */
  readonly cidr: string;
  readonly line: number;
}

/** Plain data (typed arrays and JSON-like objects): survives structured clone, its buffers can be transferred. */
export interface PolicyData {
  readonly trie: CompactTrieData;
  /** Per entry: index into `lists` of the list it came from. */
  readonly entryList: Uint16Array;
  /** Per entry: 1-based line in its list file. */
  readonly entryLine: Int32Array;
  /** Per entry: 1 for an allow entry (AdBlock '@@', RPZ rpz-passthru.), else 0. */
  readonly entryAllow: Uint8Array;
  readonly lists: readonly ListSummary[];
  /** Networks of the prefix lists, in config order. */
  readonly prefixes: readonly PrefixData[];
  /** Mandatory lists that failed to reload and were kept at their previous version. */
  readonly kept: readonly KeptList[];
}

/** The most lists one policy can hold (entryList is 16 bits wide); far beyond any real config. */
const MAX_LISTS = 0xffff;

/** PolicyCompiler adds the entries of each list as they are parsed, in config order (the first list wins a shared name). */
export class PolicyCompiler {
  readonly #trie = new CompactTrie();
  #entryList = new Uint16Array(1024);
  #entryLine = new Int32Array(1024);
  #entryAllow = new Uint8Array(1024);
  /** Per list: entries it added, and entries that repeat one of its own (a duplicate line). */
  readonly #distinct: number[] = [];
  readonly #duplicates: number[] = [];

  /** countsOf says how many distinct entries the list at `index` added and how many of its entries repeated its own. */
  countsOf(index: number): { distinct: number; duplicates: number } {
    return { distinct: this.#distinct[index] ?? 0, duplicates: this.#duplicates[index] ?? 0 };
  }

  /** ownerOf finds which list holds an entry already in the trie (rare: only for repeated names). */
  #ownerOf(domain: string, exact: boolean): number {
    for (const e of this.#trie.matchAll(domain)) {
      if (this.#trie.isExact(e) === exact && this.#trie.domainOf(e) === domain) return this.#entryList[e] ?? -1;
    }
    return -1;
  }

  /** sinkFor returns the entry callback for the list at `index` (its position among the loaded lists). */
  sinkFor(index: number): EntrySink {
    if (index >= MAX_LISTS) throw new RangeError(`at most ${MAX_LISTS} lists per policy`);
    this.#distinct[index] ??= 0;
    this.#duplicates[index] ??= 0;
    return (domain, exact, line, allow) => {
      const n = this.#trie.add(domain, exact);
      if (n < 0) {
        // A name an earlier list holds is not this list's duplicate: it counts for neither.
        if (this.#ownerOf(domain, exact) === index) this.#duplicates[index] = (this.#duplicates[index] ?? 0) + 1;
        return;
      }
      this.#distinct[index] = (this.#distinct[index] ?? 0) + 1;
      if (n >= this.#entryList.length) {
        const list = new Uint16Array(this.#entryList.length * 2);
        list.set(this.#entryList);
        this.#entryList = list;
        const lines = new Int32Array(this.#entryLine.length * 2);
        lines.set(this.#entryLine);
        this.#entryLine = lines;
        const allows = new Uint8Array(this.#entryAllow.length * 2);
        allows.set(this.#entryAllow);
        this.#entryAllow = allows;
      }
      this.#entryList[n] = index;
      this.#entryLine[n] = line;
      this.#entryAllow[n] = allow === true ? 1 : 0;
    };
  }

  /** finish returns the compiled data, arrays trimmed to the entries stored. */
  finish(lists: readonly ListSummary[], prefixes: readonly PrefixData[] = [], kept: readonly KeptList[] = []): PolicyData {
    const count = this.#trie.entryCount;
    return {
      trie: this.#trie.data(),
      entryList: this.#entryList.slice(0, count),
      entryLine: this.#entryLine.slice(0, count),
      entryAllow: this.#entryAllow.slice(0, count),
      lists,
      prefixes,
      kept,
    };
  }
}

/** compilePolicy compiles lists already parsed into memory (entries in `entries`). */
export function compilePolicy(loaded: readonly LoadedList[]): PolicyData {
  const compiler = new PolicyCompiler();
  const prefixes: PrefixData[] = [];
  loaded.forEach((l, index) => {
    const sink = compiler.sinkFor(index);
    for (const e of l.entries) sink(e.domain, e.exact, e.line, e.allow);
    for (const p of l.prefixes ?? []) prefixes.push({ list: index, cidr: p.cidr, line: p.line });
  });
  const lists = loaded.map((l) => ({ info: l.info, entries: l.entryCount + (l.prefixes?.length ?? 0), problems: l.problems.slice() }));
  return compiler.finish(lists, prefixes);
}

/** The typed arrays of a PolicyData: those of its trie, then the per-entry ones. */
const TRIE_ARRAYS = ['labelBytes', 'labelStart', 'labelSlots', 'nodeParent', 'nodeLabel', 'nodeSuffix', 'nodeExact', 'edgeSlots', 'entryNode'] as const;
const ENTRY_ARRAYS = ['entryList', 'entryLine', 'entryAllow'] as const;

type PolicyArray = Uint8Array | Uint16Array | Uint32Array | Int32Array;

/** buffersOf lists the distinct buffers under a PolicyData's arrays. */
function buffersOf(data: PolicyData): ArrayBufferLike[] {
  return [...new Set([...TRIE_ARRAYS.map((k) => data.trie[k].buffer), ...ENTRY_ARRAYS.map((k) => data[k].buffer)])];
}

/** transferablesOf lists the (unshared) buffers of a PolicyData, for postMessage's transfer list. */
export function transferablesOf(data: PolicyData): ArrayBuffer[] {
  return buffersOf(data).filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}

/** sharedCopy copies a typed array into one of the same type over a SharedArrayBuffer. */
function sharedCopy<T extends PolicyArray>(a: T): T {
  const Same = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const out = new Same(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

/**
 * sharedData copies a PolicyData's arrays into SharedArrayBuffers: posted to several serving threads, they all read
 * the one copy, so N threads hold one policy, not N.
 */
export function sharedData(data: PolicyData): PolicyData {
  const trie = { ...data.trie, ...Object.fromEntries(TRIE_ARRAYS.map((k) => [k, sharedCopy(data.trie[k])])) };
  return { ...data, ...Object.fromEntries(ENTRY_ARRAYS.map((k) => [k, sharedCopy(data[k])])), trie } as PolicyData;
}

/** Matched entries are rebuilt from the arrays; a small direct-mapped cache spares repeat blocks the work. */
const ENTRY_CACHE_SIZE = 4096;

/** policyFromData wraps compiled data as the immutable Policy the server queries. */
export function policyFromData(data: PolicyData, version: number): Policy {
  const trie = new CompactTrie(data.trie);
  const lists: readonly ListSummary[] = Object.freeze(
    data.lists.map((l) =>
      Object.freeze({
        info: Object.freeze(l.info),
        entries: l.entries,
        ...(l.duplicates === undefined ? {} : { duplicates: l.duplicates }),
        problems: Object.freeze(l.problems.slice()),
        ...(l.report === undefined ? {} : { report: Object.freeze(l.report) }),
        ...(l.sealed === true ? { sealed: true } : {}),
        ...(l.source === undefined ? {} : { source: Object.freeze(l.source) }),
      }),
    ),
  );
  const listInfo = (i: number): ListSummary => {
    const list = lists[i];
    if (list === undefined) throw new RangeError(`policy list ${i} does not exist`);
    return list;
  };
  const cache: Array<PolicyEntry | undefined> = new Array<PolicyEntry | undefined>(ENTRY_CACHE_SIZE);
  const cacheIds = new Int32Array(ENTRY_CACHE_SIZE).fill(-1);
  /**
   * entryOf gives entry n; `domain` and `isExact` are its name and kind when the caller already knows them (a suffix
   * of the name matched, and which slot matched), sparing the trie lookups.
   */
  const entryOf = (n: number, domain?: string, isExact?: boolean): PolicyEntry => {
    const slot = n & (ENTRY_CACHE_SIZE - 1);
    const hit = cache[slot];
    if (hit !== undefined && cacheIds[slot] === n) return hit;
    const list = listInfo(data.entryList[n] ?? 0).info;
    const name = domain ?? trie.domainOf(n);
    const exact = isExact ?? trie.isExact(n);
    const line = data.entryLine[n] ?? 0;
    // Literals of one shape each (no spread): built for nearly every block when the list is far bigger than the cache.
    const entry: PolicyEntry = Object.freeze(data.entryAllow[n] === 1 ? { domain: name, exact, list, line, allow: true } : { domain: name, exact, list, line });
    cache[slot] = entry;
    cacheIds[slot] = n;
    return entry;
  };
  // Prefix lists are small (networks, not names): their table is rebuilt here from plain data.
  const prefixTable = new PrefixTable<PolicyEntry>();
  for (const p of data.prefixes) prefixTable.add(p.cidr, Object.freeze({ domain: p.cidr, exact: false, list: listInfo(p.list).info, line: p.line }));
  let released = false;
  const live = (): void => {
    if (released) throw new Error(`policy version ${version} was released; a query outlived its reload`);
  };
  return Object.freeze({
    version,
    lists,
    entryCount: trie.entryCount,
    kept: Object.freeze(data.kept.map((k) => Object.freeze({ ...k, errors: Object.freeze(k.errors.slice()) }))),
    match: (qname: string) => {
      live();
      const n = trie.match(qname);
      return n < 0 ? undefined : entryOf(n, trie.matchStart === 0 ? qname : qname.slice(trie.matchStart), trie.matchExact);
    },
    matchAll: (qname: string) => {
      live();
      return trie.matchAll(qname).map((n) => entryOf(n));
    },
    prefixCount: prefixTable.size,
    matchAddress: (bytes: Uint8Array, v4: boolean) => {
      live();
      return prefixTable.lookupAllBytes(bytes, v4);
    },
    release: async () => {
      if (released) return;
      released = true;
      // Detaching a buffer frees its memory now; a collection would free it only when the heap next fills up.
      // One buffer per event-loop turn: handing tens of MB back to the system at once would hold up queries.
      // Shared buffers cannot be detached: other threads may still read them, and the last one to drop them frees them.
      for (const buffer of transferablesOf(data)) {
        buffer.transfer(0);
        await new Promise<void>((next) => setImmediate(next));
      }
    },
    memoryBytes: () => buffersOf(data).reduce((sum, b) => sum + b.byteLength, 0),
  });
}
