/** A reversed-label trie of domain names: root → 'com' → 'deepseek', answering "which entry covers this name?". */

/**
 * One node per label. Children and values are created lazily: most nodes of a big list are leaves with a
 * single value, so an empty Map per node would double the memory for nothing.
 */
interface TrieNode<T> {
  children: Map<string, TrieNode<T>> | undefined;
  /** Entry covering this name and every name below it. */
  suffix: T | undefined;
  /** Entry covering this name only. */
  exact: T | undefined;
}

function newNode<T>(): TrieNode<T> {
  return { children: undefined, suffix: undefined, exact: undefined };
}

/**
 * DomainTrie maps domain names to values. An entry is either a suffix entry (the name and all its
 * subdomains) or an exact entry (the name only). `match` returns the most specific entry: an entry at the
 * full name (exact before suffix) wins over the deepest suffix entry above it.
 *
 * Names go in and come out lower-case, without the trailing dot; the trie does no normalisation (the
 * caller did it once). `T` must not include undefined, which marks "no entry". Adding a name twice with
 * the same kind keeps the first value: lists are added in config order, so the first list wins.
 *
 * The class API (add, match, matchAll, size) is all callers see, so the node layout can be compacted later.
 */
export class DomainTrie<T extends NonNullable<unknown>> {
  private readonly root: TrieNode<T> = newNode();
  private count = 0;

  /** Number of distinct entries stored (a name may hold one suffix and one exact entry). */
  get size(): number {
    return this.count;
  }

  /** add stores an entry; returns false (keeping the first value) when the same name and kind is already there. */
  add(domain: string, exact: boolean, value: T): boolean {
    // The root would cover every name: never a valid list entry.
    if (domain.length === 0) throw new RangeError('DomainTrie.add: empty domain (the root) cannot be an entry');
    let node = this.root;
    let end = domain.length;
    while (end > 0) {
      const dot = domain.lastIndexOf('.', end - 1);
      const label = domain.slice(dot + 1, end);
      if (label.length === 0) throw new RangeError(`DomainTrie.add: empty label in '${domain}'`);
      let children = node.children;
      if (children === undefined) {
        children = new Map();
        node.children = children;
      }
      let child = children.get(label);
      if (child === undefined) {
        child = newNode();
        children.set(label, child);
      }
      node = child;
      end = dot; // -1 once the leftmost label is consumed
    }
    if (exact) {
      if (node.exact !== undefined) return false;
      node.exact = value;
    } else {
      if (node.suffix !== undefined) return false;
      node.suffix = value;
    }
    this.count++;
    return true;
  }

  /** match returns the most specific entry covering qname (lower-case, no trailing dot), or undefined. */
  match(qname: string): T | undefined {
    let node = this.root;
    let best: T | undefined;
    let end = qname.length;
    // Labels are read right to left straight from the string: no array, no split per query.
    while (end > 0) {
      const dot = qname.lastIndexOf('.', end - 1);
      const child = node.children?.get(qname.slice(dot + 1, end));
      if (child === undefined) return best;
      node = child;
      if (dot < 0) return node.exact ?? node.suffix ?? best;
      if (node.suffix !== undefined) best = node.suffix;
      end = dot;
    }
    return best;
  }

  /** matchAll returns every entry covering qname, most specific first (the first one is what `match` returns). */
  matchAll(qname: string): T[] {
    const above: T[] = [];
    let node = this.root;
    let end = qname.length;
    while (end > 0) {
      const dot = qname.lastIndexOf('.', end - 1);
      const child = node.children?.get(qname.slice(dot + 1, end));
      if (child === undefined) break;
      node = child;
      if (dot < 0) {
        const atName: T[] = [];
        if (node.exact !== undefined) atName.push(node.exact);
        if (node.suffix !== undefined) atName.push(node.suffix);
        return atName.concat(above.reverse());
      }
      if (node.suffix !== undefined) above.push(node.suffix);
      end = dot;
    }
    return above.reverse();
  }
}
