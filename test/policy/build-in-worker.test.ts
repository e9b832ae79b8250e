/** A policy built in the worker thread equals the one built on the calling thread: same entries, same answers, same errors. */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ListConfig } from '../../src/config/types.js';
import { HradbaError } from '../../src/errors.js';
import { buildPolicyInWorker } from '../../src/policy/build-in-worker.js';
import { buildPolicy, type Policy } from '../../src/policy/policy.js';
import { REPO_ROOT } from '../helpers/paths.js';

/** The compiled worker (npm test builds first): the unit tests run the sources, the worker runs dist/. */
const WORKER = pathToFileURL(path.join(REPO_ROOT, 'dist', 'policy', 'policy-worker.js'));
const BLOCKLISTS = path.join(REPO_ROOT, 'blocklists');

const tmp = mkdtempSync(path.join(tmpdir(), 'hradba-worker-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const basis = [{ authority: 'Test authority', date: '2026-01-01', title: 'Test ban', url: 'https://example.org/ban' }];

/** A generated plain list: names at several depths, some repeated, a few bad lines. */
function generatedList(): ListConfig {
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++) lines.push(i % 3 === 0 ? `h${i}.v${i % 97}.example.com` : `v${i % 97}.example.${i % 2 === 0 ? 'net' : 'org'}`);
  lines.push('not a name', '# comment', 'UPPER.Example.COM.');
  const file = path.join(tmp, 'generated.list');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, enabled: true, format: 'plain', id: 'generated', vendor: 'gen', basis };
}

/** Every shipped list, enabled, as the corpus of real names. */
function shippedLists(): ListConfig[] {
  return readdirSync(BLOCKLISTS)
    .filter((f) => f.endsWith('.list'))
    .sort()
    .map((f) => ({ file: path.join(BLOCKLISTS, f), enabled: true }));
}

/** Names to ask: every listed name, a name below each, and names listed nowhere. */
function probes(policy: Policy, lists: readonly ListConfig[]): string[] {
  const out = ['example.com', 'com', 'nothing.invalid', 'upper.example.com', 'x.upper.example.com'];
  for (let i = 0; i < 300; i++) out.push(`h${i}.v${i % 97}.example.com`, `deep.v${i % 97}.example.net`, `v${i % 97}.example.org`);
  for (const l of policy.lists) out.push(`${l.info.id}.example`);
  expect(lists.length).toBeGreaterThan(0);
  return out;
}

describe('buildPolicyInWorker', () => {
  it('the compiled worker script exists (npm test builds before testing)', () => {
    expect(existsSync(WORKER)).toBe(true);
  });

  it('equals the calling-thread build on the shipped lists plus a generated one', async () => {
    const lists = [...shippedLists(), generatedList()];
    const here = await buildPolicy(lists, 10, 3);
    const there = await buildPolicyInWorker(lists, 10, 3, { workerUrl: WORKER });
    expect(there.version).toBe(3);
    expect(there.entryCount).toBe(here.entryCount);
    expect(there.entryCount).toBeGreaterThan(100);
    expect(there.lists).toEqual(here.lists);
    const names = probes(here, lists);
    // Every entry of every shipped list is a probe too: each must map to the very same entry.
    for (const l of lists.slice(0, -1)) {
      for (const line of (await import('node:fs')).readFileSync(l.file, 'utf8').split('\n')) {
        const name = line.trim().replace(/^=/, '');
        if (name.length > 0 && !name.startsWith('#')) names.push(name, `sub.${name}`);
      }
    }
    let matched = 0;
    for (const q of names) {
      expect(there.match(q), q).toEqual(here.match(q));
      expect(there.matchAll(q), q).toEqual(here.matchAll(q));
      if (here.match(q) !== undefined) matched++;
    }
    expect(matched).toBeGreaterThan(100);
  });

  it('fails the same way: HRADBA_ERR_LIST with every problem located', async () => {
    const bad = path.join(tmp, 'bad.list');
    writeFileSync(bad, 'good.example\nbad name\nalso bad!\n');
    const lists: ListConfig[] = [{ file: bad, enabled: true, format: 'plain', id: 'bad', vendor: 'bad', basis }, { file: path.join(tmp, 'missing.list'), enabled: true }];
    const errorOf = async (p: Promise<Policy>): Promise<HradbaError> => {
      try {
        await p;
      } catch (err) {
        if (err instanceof HradbaError) return err;
        throw err;
      }
      throw new Error('the build did not fail');
    };
    const here = await errorOf(buildPolicy(lists, 1, 1));
    const there = await errorOf(buildPolicyInWorker(lists, 1, 1, { workerUrl: WORKER }));
    expect(there.code).toBe('HRADBA_ERR_LIST');
    expect(there.message).toBe(here.message);
    expect(there.problems).toEqual(here.problems);
    expect(there.problems.map((p) => `${path.basename(p.file)}:${p.line}`)).toEqual(['bad.list:2', 'bad.list:3', 'missing.list:0']);
  });
});
