/** A reversed-label trie of domain names: root → 'com' → 'deepseek', answering "which entry covers this name?". */
import { CompactTrie } from './compact-trie.js';

/**
 * DomainTrie maps domain names to values. An entry is either a suffix entry (the name and all its
 * subdomains) or an exact entry (the name only). `match` returns the most specific entry: an entry at the
 * full name (exact before suffix) wins over the deepest suffix entry above it.
 *
 * Names go in and come out lower-case, without the trailing dot; the trie does no normalisation (the
 * caller did it once). `T` must not include undefined, which marks "no entry". Adding a name twice with
 * the same kind keeps the first value: lists are added in config order, so the first list wins.
 *
 * The names live in a CompactTrie (typed arrays, interned labels); the values sit in a side array indexed
 * by entry number, so a trie of a million names holds no JS object per name beyond the caller's values.
 */
export class DomainTrie<T extends NonNullable<unknown>> {
  readonly #trie = new CompactTrie();
  readonly #values: T[] = [];

  /** Number of distinct entries stored (a name may hold one suffix and one exact entry). */
  get size(): number {
    return this.#trie.entryCount;
  }

  /** add stores an entry; returns false (keeping the first value) when the same name and kind is already there. */
  add(domain: string, exact: boolean, value: T): boolean {
    const entry = this.#trie.add(domain, exact);
    if (entry < 0) return false;
    this.#values[entry] = value;
    return true;
  }

  /** match returns the most specific entry covering qname (lower-case, no trailing dot), or undefined. */
  match(qname: string): T | undefined {
    const entry = this.#trie.match(qname);
    return entry < 0 ? undefined : this.#values[entry];
  }

  /** matchAll returns every entry covering qname, most specific first (the first one is what `match` returns). */
  matchAll(qname: string): T[] {
    const out: T[] = [];
    for (const entry of this.#trie.matchAll(qname)) {
      const v = this.#values[entry];
      if (v !== undefined) out.push(v);
    }
    return out;
  }
}
