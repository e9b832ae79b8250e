/**
 * A reversed-label trie of domain names held in typed arrays with interned labels: a million names cost
 * tens of megabytes and no JS object per name, and the whole structure can be transferred between threads.
 */

/** What the trie is made of; plain typed arrays, so a worker can build it and transfer the buffers. */
export interface CompactTrieData {
  /** Label text, one byte per character (names are lower-case punycode: ASCII). */
  readonly labelBytes: Uint8Array;
  /** Start of label i in labelBytes; label i ends where label i+1 starts (labelStart has labelCount+1 items). */
  readonly labelStart: Uint32Array;
  /** Open-addressing hash table of label ids + 1 (0 = empty slot); its length is a power of two. */
  readonly labelSlots: Uint32Array;
  /** Per node: parent node (root 0 has -1), label id, suffix entry, exact entry (-1 = none). */
  readonly nodeParent: Int32Array;
  readonly nodeLabel: Int32Array;
  readonly nodeSuffix: Int32Array;
  readonly nodeExact: Int32Array;
  /** Open-addressing hash table of child node ids + 1, keyed by (parent, label); length a power of two. */
  readonly edgeSlots: Uint32Array;
  /** Per entry: the node it sits on. */
  readonly entryNode: Int32Array;
  readonly labelCount: number;
  readonly nodeCount: number;
  readonly entryCount: number;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** edgeHash mixes a (parent, label) pair into a slot index seed. */
function edgeHash(parent: number, label: number): number {
  let h = Math.imul(parent ^ Math.imul(label, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** grow returns a typed array of at least `min` items holding `a`'s content (doubling, so adds stay amortised O(1)). */
function grow<A extends Int32Array | Uint32Array | Uint8Array>(a: A, min: number, fill?: number): A {
  if (a.length >= min) return a;
  let n = Math.max(16, a.length);
  while (n < min) n *= 2;
  const b = new (a.constructor as new (n: number) => A)(n);
  b.set(a);
  if (fill !== undefined) b.fill(fill, a.length);
  return b;
}

/**
 * CompactTrie stores entries numbered 0, 1, 2... in insertion order; a caller keeps whatever it needs per
 * entry in its own arrays indexed by that number. The walk reads labels right to left straight from the
 * query string and compares them with the interned bytes: no slice, no split, no Map lookup per label.
 */
export class CompactTrie {
  #labelBytes: Uint8Array;
  #labelStart: Uint32Array;
  #labelSlots: Uint32Array;
  #nodeParent: Int32Array;
  #nodeLabel: Int32Array;
  #nodeSuffix: Int32Array;
  #nodeExact: Int32Array;
  #edgeSlots: Uint32Array;
  #entryNode: Int32Array;
  #labelCount: number;
  #nodeCount: number;
  #entryCount: number;

  constructor(data?: CompactTrieData) {
    if (data !== undefined) {
      this.#labelBytes = data.labelBytes;
      this.#labelStart = data.labelStart;
      this.#labelSlots = data.labelSlots;
      this.#nodeParent = data.nodeParent;
      this.#nodeLabel = data.nodeLabel;
      this.#nodeSuffix = data.nodeSuffix;
      this.#nodeExact = data.nodeExact;
      this.#edgeSlots = data.edgeSlots;
      this.#entryNode = data.entryNode;
      this.#labelCount = data.labelCount;
      this.#nodeCount = data.nodeCount;
      this.#entryCount = data.entryCount;
      return;
    }
    this.#labelBytes = new Uint8Array(1024);
    this.#labelStart = new Uint32Array(64);
    this.#labelSlots = new Uint32Array(64);
    this.#nodeParent = new Int32Array(64).fill(-1);
    this.#nodeLabel = new Int32Array(64).fill(-1);
    this.#nodeSuffix = new Int32Array(64).fill(-1);
    this.#nodeExact = new Int32Array(64).fill(-1);
    this.#edgeSlots = new Uint32Array(128);
    this.#entryNode = new Int32Array(64);
    this.#labelCount = 0;
    this.#nodeCount = 1; // node 0 is the root
    this.#entryCount = 0;
  }

  /** Number of entries stored. */
  get entryCount(): number {
    return this.#entryCount;
  }

  /** Bytes held by the typed arrays (capacity, not just the used part). */
  get byteLength(): number {
    return [this.#labelBytes, this.#labelStart, this.#labelSlots, this.#nodeParent, this.#nodeLabel, this.#nodeSuffix, this.#nodeExact, this.#edgeSlots, this.#entryNode].reduce(
      (n, a) => n + a.byteLength,
      0,
    );
  }

  /**
   * add stores an entry and returns its number, or -1 when the name already has an entry of that kind (the
   * first one stays). Throws RangeError for the root, an empty label, or a character beyond one byte.
   */
  add(domain: string, exact: boolean): number {
    if (domain.length === 0) throw new RangeError('DomainTrie.add: empty domain (the root) cannot be an entry');
    // Checked before anything is stored, so a refused name leaves no half-built path behind.
    let prev = -1;
    for (let i = 0; i <= domain.length; i++) {
      const c = i === domain.length ? 0x2e : domain.charCodeAt(i);
      if (c === 0x2e) {
        if (i - prev === 1) throw new RangeError(`DomainTrie.add: empty label in '${domain}'`);
        prev = i;
      } else if (c > 0xff) {
        throw new RangeError(`DomainTrie.add: '${domain}' is not in its ASCII (punycode) form`);
      }
    }
    let node = 0;
    let end = domain.length;
    while (end > 0) {
      const dot = domain.lastIndexOf('.', end - 1);
      node = this.#child(node, this.#internLabel(domain, dot + 1, end));
      end = dot;
    }
    const slots = exact ? this.#nodeExact : this.#nodeSuffix;
    if (slots[node] !== -1) return -1;
    const entry = this.#entryCount++;
    slots[node] = entry;
    this.#entryNode = grow(this.#entryNode, entry + 1);
    this.#entryNode[entry] = node;
    return entry;
  }

  /**
   * match returns the number of the most specific entry covering qname, or -1. After a match, `matchStart` says
   * where in qname the entry's name begins: the entry's domain is qname.slice(matchStart), the same text domainOf
   * rebuilds from the labels (every label of it compared equal), without decoding a label; `matchExact` says
   * whether it is an exact entry.
   */
  match(qname: string): number {
    let node = 0;
    let best = -1;
    let bestStart = 0;
    let end = qname.length;
    while (end > 0) {
      const dot = qname.lastIndexOf('.', end - 1);
      const label = this.#findLabel(qname, dot + 1, end);
      if (label < 0) break;
      const child = this.#findChild(node, label);
      if (child < 0) break;
      node = child;
      if (dot < 0) {
        const e = this.#nodeExact[node] ?? -1;
        const s = this.#nodeSuffix[node] ?? -1;
        if (e >= 0 || s >= 0) {
          this.#matchStart = 0;
          this.#matchExact = e >= 0;
          return e >= 0 ? e : s;
        }
        break;
      }
      const s = this.#nodeSuffix[node] ?? -1;
      if (s >= 0) {
        best = s;
        bestStart = dot + 1;
      }
      end = dot;
    }
    this.#matchStart = bestStart;
    this.#matchExact = false;
    return best;
  }

  /** Offset in the name of the last match() where its entry's name starts (0 when it matched nothing). */
  get matchStart(): number {
    return this.#matchStart;
  }

  /** Whether the entry of the last match() is an exact entry (what isExact says of it, known without a lookup). */
  get matchExact(): boolean {
    return this.#matchExact;
  }

  #matchStart = 0;
  #matchExact = false;

  /** matchAll returns every entry number covering qname, most specific first. */
  matchAll(qname: string): number[] {
    const above: number[] = [];
    let node = 0;
    let end = qname.length;
    while (end > 0) {
      const dot = qname.lastIndexOf('.', end - 1);
      const label = this.#findLabel(qname, dot + 1, end);
      const child = label < 0 ? -1 : this.#findChild(node, label);
      if (child < 0) break;
      node = child;
      if (dot < 0) {
        const atName: number[] = [];
        const e = this.#nodeExact[node] ?? -1;
        const s = this.#nodeSuffix[node] ?? -1;
        if (e >= 0) atName.push(e);
        if (s >= 0) atName.push(s);
        return atName.concat(above.reverse());
      }
      const s = this.#nodeSuffix[node] ?? -1;
      if (s >= 0) above.push(s);
      end = dot;
    }
    return above.reverse();
  }

  /** isExact tells whether an entry is an exact (name only) entry. */
  isExact(entry: number): boolean {
    return this.#nodeExact[this.#entryNode[entry] ?? 0] === entry;
  }

  /** domainOf rebuilds an entry's name from its labels (used only when a match is reported, never per lookup). */
  domainOf(entry: number): string {
    let node = this.#entryNode[entry] ?? 0;
    let name = '';
    // Bounded by the depth of the trie: each step moves to the parent, the root has none.
    while (node > 0) {
      const label = this.#nodeLabel[node] ?? 0;
      const text = this.#decoder.decode(this.#labelBytes.subarray(this.#labelStart[label] ?? 0, this.#labelStart[label + 1] ?? 0));
      name = name.length === 0 ? text : `${name}.${text}`;
      node = this.#nodeParent[node] ?? 0;
    }
    return name;
  }

  readonly #decoder = new TextDecoder('latin1');

  /** data returns the arrays trimmed to their used length (copies), ready to transfer to another thread. */
  data(): CompactTrieData {
    const labelStart = this.#labelStart.slice(0, this.#labelCount + 1);
    return {
      labelBytes: this.#labelBytes.slice(0, labelStart[this.#labelCount] ?? 0),
      labelStart,
      labelSlots: this.#labelSlots.slice(),
      nodeParent: this.#nodeParent.slice(0, this.#nodeCount),
      nodeLabel: this.#nodeLabel.slice(0, this.#nodeCount),
      nodeSuffix: this.#nodeSuffix.slice(0, this.#nodeCount),
      nodeExact: this.#nodeExact.slice(0, this.#nodeCount),
      edgeSlots: this.#edgeSlots.slice(),
      entryNode: this.#entryNode.slice(0, this.#entryCount),
      labelCount: this.#labelCount,
      nodeCount: this.#nodeCount,
      entryCount: this.#entryCount,
    };
  }

  /** #findLabel returns the id of the label text[start, end), or -1 when no entry has that label. */
  #findLabel(text: string, start: number, end: number): number {
    let h = FNV_OFFSET;
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
    const slots = this.#labelSlots;
    const mask = slots.length - 1;
    const len = end - start;
    const bytes = this.#labelBytes;
    const starts = this.#labelStart;
    // Bounded: the table is never more than half full, so an empty slot comes within a few probes.
    for (let i = (h >>> 0) & mask; ; i = (i + 1) & mask) {
      const v = slots[i] ?? 0;
      if (v === 0) return -1;
      const id = v - 1;
      const at = starts[id] ?? 0;
      if ((starts[id + 1] ?? 0) - at !== len) continue;
      let same = true;
      for (let k = 0; k < len; k++) {
        if (bytes[at + k] !== text.charCodeAt(start + k)) {
          same = false;
          break;
        }
      }
      if (same) return id;
    }
  }

  #internLabel(text: string, start: number, end: number): number {
    const found = this.#findLabel(text, start, end);
    if (found >= 0) return found;
    const id = this.#labelCount++;
    const at = this.#labelStart[id] ?? 0;
    this.#labelBytes = grow(this.#labelBytes, at + (end - start));
    for (let k = start; k < end; k++) this.#labelBytes[at + k - start] = text.charCodeAt(k);
    this.#labelStart = grow(this.#labelStart, id + 2);
    this.#labelStart[id + 1] = at + (end - start);
    if (this.#labelCount * 2 > this.#labelSlots.length) this.#labelSlots = this.#rehashLabels(this.#labelSlots.length * 2);
    else this.#placeLabel(this.#labelSlots, id);
    return id;
  }

  #placeLabel(slots: Uint32Array, id: number): void {
    let h = FNV_OFFSET;
    const at = this.#labelStart[id] ?? 0;
    const stop = this.#labelStart[id + 1] ?? 0;
    for (let i = at; i < stop; i++) h = Math.imul(h ^ (this.#labelBytes[i] ?? 0), FNV_PRIME);
    const mask = slots.length - 1;
    let i = (h >>> 0) & mask;
    while ((slots[i] ?? 0) !== 0) i = (i + 1) & mask;
    slots[i] = id + 1;
  }

  #rehashLabels(size: number): Uint32Array {
    const slots = new Uint32Array(size);
    for (let id = 0; id < this.#labelCount; id++) this.#placeLabel(slots, id);
    return slots;
  }

  #findChild(parent: number, label: number): number {
    const slots = this.#edgeSlots;
    const mask = slots.length - 1;
    for (let i = edgeHash(parent, label) & mask; ; i = (i + 1) & mask) {
      const v = slots[i] ?? 0;
      if (v === 0) return -1;
      const node = v - 1;
      // The label first: a slot taken by another parent's child nearly always has another label too, so a collision
      // costs one array read, not two.
      if (this.#nodeLabel[node] === label && this.#nodeParent[node] === parent) return node;
    }
  }

  #child(parent: number, label: number): number {
    const found = this.#findChild(parent, label);
    if (found >= 0) return found;
    const node = this.#nodeCount++;
    this.#nodeParent = grow(this.#nodeParent, node + 1, -1);
    this.#nodeLabel = grow(this.#nodeLabel, node + 1, -1);
    this.#nodeSuffix = grow(this.#nodeSuffix, node + 1, -1);
    this.#nodeExact = grow(this.#nodeExact, node + 1, -1);
    this.#nodeParent[node] = parent;
    this.#nodeLabel[node] = label;
    if (this.#nodeCount * 2 > this.#edgeSlots.length) {
      const slots = new Uint32Array(this.#edgeSlots.length * 2);
      for (let n = 1; n < this.#nodeCount; n++) this.#placeEdge(slots, n);
      this.#edgeSlots = slots;
    } else {
      this.#placeEdge(this.#edgeSlots, node);
    }
    return node;
  }

  #placeEdge(slots: Uint32Array, node: number): void {
    const mask = slots.length - 1;
    let i = edgeHash(this.#nodeParent[node] ?? 0, this.#nodeLabel[node] ?? 0) & mask;
    while ((slots[i] ?? 0) !== 0) i = (i + 1) & mask;
    slots[i] = node + 1;
  }
}
