/** CompactTrie: the typed-array trie agrees with a plain reference on a random corpus, survives a transfer, and refuses bad names. */
import { describe, expect, it } from 'vitest';
import { CompactTrie } from '../../src/policy/compact-trie.js';
import { DomainTrie } from '../../src/policy/domain-trie.js';

/** A seeded PRNG, so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The obvious implementation: every entry in a Map, every parent of a name looked up. */
class ReferenceTrie {
  readonly suffix = new Map<string, string>();
  readonly exact = new Map<string, string>();
  add(domain: string, exact: boolean, value: string): boolean {
    const m = exact ? this.exact : this.suffix;
    if (m.has(domain)) return false;
    m.set(domain, value);
    return true;
  }
  matchAll(qname: string): string[] {
    const out: string[] = [];
    if (qname === '') return out;
    const e = this.exact.get(qname);
    if (e !== undefined) out.push(e);
    let name = qname;
    for (;;) {
      const s = this.suffix.get(name);
      if (s !== undefined) out.push(s);
      const dot = name.indexOf('.');
      if (dot < 0) return out;
      name = name.slice(dot + 1);
    }
  }
}

const LABELS = ['com', 'net', 'org', 'cz', 'example', 'api', 'www', 'cdn', 'a', 'b', 'x-y', '_tcp', 'deepseek', 'huawei', 'co', 'uk'];

function randomName(r: () => number): string {
  const depth = 1 + Math.floor(r() * 5);
  const labels: string[] = [];
  for (let i = 0; i < depth; i++) labels.push(LABELS[Math.floor(r() * LABELS.length)] ?? 'com');
  return labels.join('.');
}

describe('CompactTrie behind DomainTrie', () => {
  it('agrees with a Map-based reference on 20,000 random adds and 20,000 lookups', () => {
    const r = rng(42);
    const trie = new DomainTrie<string>();
    const ref = new ReferenceTrie();
    for (let i = 0; i < 20_000; i++) {
      const name = randomName(r);
      const exact = r() < 0.3;
      const value = `${exact ? 'E' : 'S'}:${name}:${i}`;
      expect(trie.add(name, exact, value)).toBe(ref.add(name, exact, value));
    }
    expect(trie.size).toBe(ref.suffix.size + ref.exact.size);
    for (let i = 0; i < 20_000; i++) {
      const q = randomName(r);
      const expected = ref.matchAll(q);
      expect(trie.matchAll(q)).toEqual(expected);
      expect(trie.match(q)).toBe(expected[0]);
    }
  });

  it('keeps working across many table growths (labels and nodes rehashed)', () => {
    const trie = new DomainTrie<number>();
    for (let i = 0; i < 50_000; i++) expect(trie.add(`h${i}.d${i % 977}.example`, false, i)).toBe(true);
    expect(trie.size).toBe(50_000);
    expect(trie.match(`www.h12345.d${12345 % 977}.example`)).toBe(12345);
    expect(trie.match(`h12345.d${(12345 % 977) + 1}.example`)).toBeUndefined();
  });

  it('refuses names outside one byte per character, and leaves nothing behind', () => {
    const t = new DomainTrie<string>();
    expect(() => t.add('café.cz', false, 'x')).not.toThrow(); // latin-1 range: stored byte for byte
    expect(() => t.add('例子.cn', false, 'x')).toThrow(RangeError);
    expect(t.size).toBe(1);
    expect(t.match('例子.cn')).toBeUndefined();
    expect(t.match('café.cz')).toBe('x');
  });
});

describe('CompactTrie data', () => {
  it('round-trips through a transfer: same entries, same answers, same names', () => {
    const r = rng(7);
    const built = new CompactTrie();
    const names: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const name = randomName(r);
      if (built.add(name, i % 5 === 0) >= 0) names.push(name);
    }
    const data = built.data();
    const buffers = [data.labelBytes, data.labelStart, data.labelSlots, data.nodeParent, data.nodeLabel, data.nodeSuffix, data.nodeExact, data.edgeSlots, data.entryNode].map(
      (a) => a.buffer as ArrayBuffer,
    );
    const moved = structuredClone(data, { transfer: buffers });
    expect(data.labelBytes.byteLength).toBe(0); // detached: really moved, not copied
    const copy = new CompactTrie(moved);
    expect(copy.entryCount).toBe(built.entryCount);
    for (let i = 0; i < 5000; i++) {
      const q = randomName(r);
      expect(copy.matchAll(q)).toEqual(built.matchAll(q));
    }
    for (let n = 0; n < copy.entryCount; n++) {
      expect(copy.domainOf(n)).toBe(names[n]);
      expect(copy.isExact(n)).toBe(built.isExact(n));
    }
  });
});

describe('CompactTrie matchStart', () => {
  it('names where the matched entry begins: the query name from there is the entry name domainOf rebuilds', () => {
    const r = rng(11);
    const trie = new CompactTrie();
    for (let i = 0; i < 5000; i++) trie.add(randomName(r), i % 4 === 0);
    let matched = 0;
    for (let i = 0; i < 20_000; i++) {
      const q = randomName(r);
      const n = trie.match(q);
      if (n < 0) continue;
      matched++;
      expect(q.slice(trie.matchStart)).toBe(trie.domainOf(n));
      expect(trie.matchExact).toBe(trie.isExact(n));
    }
    expect(matched).toBeGreaterThan(1000);
  });

  it('points at the label boundary of the deepest suffix entry, or at 0 for the whole name', () => {
    const trie = new CompactTrie();
    const suffix = trie.add('deepseek.com', false);
    const exact = trie.add('chat.deepseek.com', true);
    expect(trie.match('a.b.deepseek.com')).toBe(suffix);
    expect(trie.matchStart).toBe(4);
    expect(trie.matchExact).toBe(false);
    expect(trie.match('chat.deepseek.com')).toBe(exact);
    expect(trie.matchStart).toBe(0);
    expect(trie.matchExact).toBe(true);
    expect(trie.match('x.chat.deepseek.com')).toBe(suffix);
    expect(trie.matchStart).toBe(7);
  });
});
