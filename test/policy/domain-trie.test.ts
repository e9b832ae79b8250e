/** DomainTrie: suffix and exact entries, the most specific one wins, and the caller's normalisation contract. */
import { describe, expect, it } from 'vitest';
import { DomainTrie } from '../../src/policy/domain-trie.js';

type Entry = [domain: string, exact: boolean, value: string];

function trieOf(entries: readonly Entry[]): DomainTrie<string> {
  const t = new DomainTrie<string>();
  for (const [d, exact, v] of entries) t.add(d, exact, v);
  return t;
}

describe('DomainTrie.match', () => {
  const trie = trieOf([
    ['deepseek.com', false, 'S:deepseek.com'],
    ['api.example.org', true, 'E:api.example.org'],
    ['example.org', false, 'S:example.org'],
    ['deep.a.example.org', false, 'S:deep.a.example.org'],
    ['x.example.net', true, 'E:x.example.net'],
    ['x.example.net', false, 'S:x.example.net'],
    ['only.example.test', true, 'E:only.example.test'],
    ['_dmarc.example.test', false, 'S:_dmarc.example.test'],
  ]);

  it.each([
    // suffix: the name and everything below
    ['deepseek.com', 'S:deepseek.com'],
    ['chat.deepseek.com', 'S:deepseek.com'],
    ['a.b.c.deepseek.com', 'S:deepseek.com'],
    // a different name sharing a tail is not covered
    ['notdeepseek.com', undefined],
    ['deepseek.com.evil.example', undefined],
    ['com', undefined],
    // exact at the full name wins over a shorter suffix
    ['api.example.org', 'E:api.example.org'],
    ['v1.api.example.org', 'S:example.org'],
    // the deepest suffix on the path wins
    ['a.example.org', 'S:example.org'],
    ['deep.a.example.org', 'S:deep.a.example.org'],
    ['x.deep.a.example.org', 'S:deep.a.example.org'],
    // exact and suffix at the same name: exact wins at the name, suffix below it
    ['x.example.net', 'E:x.example.net'],
    ['y.x.example.net', 'S:x.example.net'],
    ['example.net', undefined],
    // exact only: not the subdomains, not the parent
    ['only.example.test', 'E:only.example.test'],
    ['sub.only.example.test', undefined],
    ['example.test', undefined],
    // service labels
    ['_dmarc.example.test', 'S:_dmarc.example.test'],
    ['x._dmarc.example.test', 'S:_dmarc.example.test'],
    // the root never matches
    ['', undefined],
  ])('%j → %s', (qname, expected) => {
    expect(trie.match(qname)).toBe(expected);
  });

  it('does no normalisation: the caller lower-cases and strips the trailing dot', () => {
    expect(trie.match('DeepSeek.com')).toBeUndefined();
    expect(trie.match('deepseek.com.')).toBeUndefined();
    expect(trie.match('deepseek.com')).toBe('S:deepseek.com');
  });

  it('a suffix entry at the full name matches the name itself', () => {
    expect(trieOf([['example.org', false, 's']]).match('example.org')).toBe('s');
  });

  it('a single-label entry covers the whole TLD it names', () => {
    const t = trieOf([['test', false, 'tld']]);
    expect(t.match('a.b.test')).toBe('tld');
    expect(t.match('test')).toBe('tld');
    expect(t.match('testing')).toBeUndefined();
  });
});

describe('DomainTrie.add', () => {
  it('keeps the first value of a duplicate and counts distinct entries', () => {
    const t = new DomainTrie<string>();
    expect(t.add('example.org', false, 'first')).toBe(true);
    expect(t.add('example.org', false, 'second')).toBe(false);
    expect(t.add('example.org', true, 'exact')).toBe(true);
    expect(t.add('sub.example.org', false, 'sub')).toBe(true);
    expect(t.size).toBe(3);
    expect(t.match('a.example.org')).toBe('first');
    expect(t.match('example.org')).toBe('exact');
  });

  it('refuses the root and empty labels', () => {
    const t = new DomainTrie<string>();
    expect(() => t.add('', false, 'root')).toThrow(RangeError);
    expect(() => t.add('a..b', false, 'x')).toThrow(RangeError);
    expect(t.size).toBe(0);
    expect(t.match('')).toBeUndefined();
  });

  it('an empty trie matches nothing', () => {
    const t = new DomainTrie<string>();
    expect(t.size).toBe(0);
    expect(t.match('example.org')).toBeUndefined();
    expect(t.matchAll('example.org')).toEqual([]);
  });
});

describe('DomainTrie.matchAll', () => {
  const trie = trieOf([
    ['org', false, 'S:org'],
    ['example.org', false, 'S:example.org'],
    ['a.example.org', true, 'E:a.example.org'],
    ['a.example.org', false, 'S:a.example.org'],
    ['b.a.example.org', true, 'E:b.a.example.org'],
  ]);

  it.each([
    ['b.a.example.org', ['E:b.a.example.org', 'S:a.example.org', 'S:example.org', 'S:org']],
    ['a.example.org', ['E:a.example.org', 'S:a.example.org', 'S:example.org', 'S:org']],
    ['c.b.a.example.org', ['S:a.example.org', 'S:example.org', 'S:org']],
    ['z.example.org', ['S:example.org', 'S:org']],
    ['example.net', []],
    ['', []],
  ])('%j → %j (most specific first, first = match)', (qname, expected) => {
    expect(trie.matchAll(qname)).toEqual(expected);
    expect(trie.match(qname)).toBe(expected[0]);
  });
});
