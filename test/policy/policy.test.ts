/** buildPolicy: lists merged into one trie, provenance of every match, and failures reported all at once. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ListConfig } from '../../src/config/types.js';
import { HradbaError } from '../../src/errors.js';
import { buildPolicy, explainMatch, type Policy } from '../../src/policy/policy.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'hradba-policy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** writeList writes a hradba list with the given id and entries and returns its config entry. */
function writeList(name: string, id: string, entries: readonly string[], extra: Partial<ListConfig> = {}): ListConfig {
  const file = path.join(tmp, name);
  const text = [
    '#@hradba-list 1',
    `#@id: ${id}`,
    `#@vendor: vendor-${id}`,
    `#@vendor-name: Vendor ${id.toUpperCase()}`,
    `#@basis: Authority of ${id}, Czech Republic | 2025-07-09 | Ban ${id} | https://example.org/${id}`,
    '#@basis: Second authority | 2024 | Warning | https://example.net/',
    ...entries,
    // Sealed as generated lists are: the trailer counts the entry lines.
    `#@end: ${entries.length}`,
  ].join('\n');
  writeFileSync(file, `${text}\n`);
  return { file, enabled: true, ...extra };
}

async function policyError(lists: readonly ListConfig[], maxBadLines = 10): Promise<HradbaError> {
  try {
    await buildPolicy(lists, maxBadLines, 1);
  } catch (err) {
    if (err instanceof HradbaError) return err;
    throw err;
  }
  throw new Error('buildPolicy did not fail');
}

describe('buildPolicy with two lists', () => {
  const alpha = writeList('alpha.list', 'alpha', ['alpha.example.org', '=api.shared.example.net', 'shared.example.net', 'bad name']);
  const beta = writeList('beta.list', 'beta', ['beta.example.org', 'shared.example.net', 'deep.api.shared.example.net']);
  const off = writeList('off.list', 'off', ['off.example.org'], { enabled: false });
  let policy: Policy;

  it('loads the enabled lists only, in config order, with their warnings', async () => {
    policy = await buildPolicy([alpha, off, beta], 10, 7);
    expect(policy.version).toBe(7);
    expect(policy.lists.map((l) => [l.info.id, l.entries, l.problems.length])).toEqual([
      ['alpha', 3, 1],
      ['beta', 3, 0],
    ]);
    expect(policy.lists[0]?.problems[0]).toEqual({ file: alpha.file, line: 10, message: "not a domain name: 'bad name' (character space not allowed)" });
    // shared.example.net appears in both lists: stored once.
    expect(policy.entryCount).toBe(5);
    expect(policy.match('off.example.org')).toBeUndefined();
  });

  it.each([
    ['www.alpha.example.org', 'alpha', 'alpha.example.org', false, 7],
    ['beta.example.org', 'beta', 'beta.example.org', false, 7],
    // duplicate across lists: the first list in config order wins
    ['x.shared.example.net', 'alpha', 'shared.example.net', false, 9],
    ['api.shared.example.net', 'alpha', 'api.shared.example.net', true, 8],
    ['deep.api.shared.example.net', 'beta', 'deep.api.shared.example.net', false, 9],
  ])('%s is blocked by list %s (entry %s, exact %s, line %i)', (qname, listId, domain, exact, line) => {
    const entry = policy.match(qname);
    expect(entry).toBeDefined();
    expect(entry?.list.id).toBe(listId);
    expect(entry?.domain).toBe(domain);
    expect(entry?.exact).toBe(exact);
    expect(entry?.line).toBe(line);
    expect(entry?.list.file).toBe(listId === 'alpha' ? alpha.file : beta.file);
    expect(entry?.list.vendor).toBe(`vendor-${listId}`);
    expect(entry?.list.vendorName).toBe(`Vendor ${listId.toUpperCase()}`);
    expect(entry?.list.basis[0]).toEqual({
      authority: `Authority of ${listId}, Czech Republic`,
      date: '2025-07-09',
      title: `Ban ${listId}`,
      url: `https://example.org/${listId}`,
    });
  });

  it('allows names no list covers', () => {
    expect(policy.match('example.org')).toBeUndefined();
    expect(policy.match('example.net')).toBeUndefined();
    expect(policy.match('')).toBeUndefined();
  });

  it('shares one ListInfo object among the entries of a list', () => {
    const a = policy.match('alpha.example.org');
    const b = policy.match('x.shared.example.net');
    expect(a?.list).toBe(b?.list);
    expect(a?.list).toBe(policy.lists[0]?.info);
  });

  it('explainMatch normalises the name and lists every entry on its path, winner first', () => {
    const e = explainMatch(policy, 'Deep.API.Shared.Example.NET.');
    expect(e.qname).toBe('deep.api.shared.example.net');
    expect(e.match?.list.id).toBe('beta');
    expect(e.entries.map((x) => `${x.list.id}:${x.exact ? '=' : ''}${x.domain}`)).toEqual([
      'beta:deep.api.shared.example.net',
      'alpha:shared.example.net',
    ]);
    expect(e.entries[0]).toBe(e.match);
    expect(policy.matchAll('api.shared.example.net').map((x) => x.domain)).toEqual(['api.shared.example.net', 'shared.example.net']);
    const none = explainMatch(policy, 'example.org');
    expect(none).toEqual({ qname: 'example.org', match: undefined, entries: [] });
  });

  it('explainMatch refuses what is not a name', () => {
    expect(() => explainMatch(policy, 'not a name')).toThrow(expect.objectContaining({ code: 'HRADBA_ERR_USAGE' }));
  });

  it('the policy is frozen', () => {
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.lists)).toBe(true);
  });
});

describe('buildPolicy failures', () => {
  it('an empty or all-disabled config gives an empty policy', async () => {
    const p = await buildPolicy([writeList('d.list', 'd', ['d.example.org'], { enabled: false })], 0, 1);
    expect(p.lists).toEqual([]);
    expect(p.entryCount).toBe(0);
    expect(p.match('d.example.org')).toBeUndefined();
  });

  it('duplicate list ids are fatal', async () => {
    const one = writeList('dup1.list', 'dup', ['one.example.org']);
    const two = writeList('dup2.list', 'dup', ['two.example.org']);
    const err = await policyError([one, two]);
    expect(err.code).toBe('HRADBA_ERR_LIST');
    expect(err.problems).toEqual([{ file: two.file, line: 0, message: `duplicate list id 'dup' (also used by ${one.file})` }]);
  });

  it('collects the problems of every failing list into one error', async () => {
    const good = writeList('good.list', 'good', ['good.example.org', 'bad line']);
    const tooBad = writeList('too-bad.list', 'too-bad', ['x y', 'a b', 'c d']);
    const missing: ListConfig = { file: path.join(tmp, 'missing.list'), enabled: true };
    const err = await policyError([good, tooBad, missing], 2);
    expect(err.code).toBe('HRADBA_ERR_LIST');
    expect(err.message).toBe(`2 lists failed: ${tooBad.file}: 3 bad lines (limit 2); ${missing.file}: cannot read list: no such file`);
    // Problems of the failed lists (the good list's warning is not what failed).
    // (too-bad.list:0 says it yields no entry at all.)
    expect(err.problems.map((p) => `${path.basename(p.file)}:${p.line}`)).toEqual([
      'too-bad.list:0',
      'too-bad.list:7',
      'too-bad.list:8',
      'too-bad.list:9',
      'missing.list:0',
    ]);
  });

  it('a failing disabled list does not matter', async () => {
    const good = writeList('good2.list', 'good2', ['good.example.org']);
    const p = await buildPolicy([good, { file: path.join(tmp, 'nowhere.list'), enabled: false }], 0, 2);
    expect(p.lists.map((l) => l.info.id)).toEqual(['good2']);
  });
});
