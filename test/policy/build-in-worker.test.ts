/** A policy built in the worker thread equals the one built on the calling thread: same entries, same answers, same errors. */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ListConfig } from '../../src/config/types.js';
import { HradbaError } from '../../src/errors.js';
import { buildPolicyDataInWorker, buildPolicyInWorker } from '../../src/policy/build-in-worker.js';
import { policyFromData } from '../../src/policy/compiled-policy.js';
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

  it('shared: every array sits in a SharedArrayBuffer, and the policy made from it answers as the unshared one', async () => {
    const lists = [generatedList()];
    const plain = await buildPolicyInWorker(lists, 10, 1, { workerUrl: WORKER });
    const data = await buildPolicyDataInWorker(lists, 10, { workerUrl: WORKER, shared: true });
    const arrays = [...Object.values(data.trie).filter((v) => ArrayBuffer.isView(v)), data.entryList, data.entryLine, data.entryAllow];
    expect(arrays).toHaveLength(12);
    for (const a of arrays) expect((a as Uint8Array).buffer).toBeInstanceOf(SharedArrayBuffer);
    const shared = policyFromData(data, 1);
    for (const q of probes(plain, lists)) expect(shared.match(q), q).toEqual(plain.match(q));
    expect(shared.memoryBytes()).toBe(plain.memoryBytes());
  });

  it('release frees the arrays at once, and a lookup after it throws instead of reading as allowed', async () => {
    const lists = [generatedList()];
    const policy = await buildPolicyInWorker(lists, 10, 1, { workerUrl: WORKER });
    expect(policy.match('h3.v3.example.com')?.domain).toBe('h3.v3.example.com');
    expect(policy.memoryBytes()).toBeGreaterThan(100_000);
    const releasing = policy.release();
    // From the call on, no lookup reads the arrays being freed.
    expect(() => policy.match('h3.v3.example.com')).toThrow(/released/);
    await releasing;
    // Detached buffers have given their memory back without waiting for a collection.
    expect(policy.memoryBytes()).toBe(0);
    expect(() => policy.match('h3.v3.example.com')).toThrow(/released/);
    expect(() => policy.matchAll('x.example')).toThrow(/released/);
    expect(() => policy.matchAddress(new Uint8Array(4), true)).toThrow(/released/);
    await policy.release();
  });
});

/** writeHradba writes a hradba-format list with the given entry lines. */
function writeHradba(id: string, entries: readonly string[]): string {
  const file = path.join(tmp, `${id}.list`);
  writeFileSync(file, ['#@hradba-list 1', `#@id: ${id}`, `#@vendor: v-${id}`, '#@basis: A | 2025 | T | https://example.org/', ...entries, ''].join('\n'));
  return file;
}

describe('buildPolicyInWorker with the policy features (allow entries, prefixes, mandatory lists, shrink guard)', () => {
  it('carries allow entries, prefix lists and mode/mandatory/review like the calling-thread build', async () => {
    const adblock = path.join(tmp, 'ads.txt');
    writeFileSync(adblock, '[Adblock Plus 2.0]\n||ads.example^\n@@||ok.ads.example^\n');
    const rpz = path.join(tmp, 'zone.rpz');
    writeFileSync(rpz, '$ORIGIN rpz.test.\n@ SOA ns. h. 1 1 1 1 1\nbad.example CNAME .\n*.bad.example CNAME .\npass.bad.example CNAME rpz-passthru.\n');
    const nets = path.join(tmp, 'nets.txt');
    writeFileSync(nets, '198.51.100.0/24\n198.51.100.64/26\n2001:db8::/32\n');
    const lists: ListConfig[] = [
      { file: adblock, enabled: true, format: 'adblock', id: 'ads', vendor: 'ads', basis, mode: 'log-only', review: '2027-01-01' },
      { file: rpz, enabled: true, format: 'rpz', id: 'rpz', vendor: 'rpz', basis, mandatory: true },
      { file: nets, enabled: true, format: 'prefixes', id: 'nets', vendor: 'nets', basis },
    ];
    const here = await buildPolicy(lists, 0, 1);
    const there = await buildPolicyInWorker(lists, 0, 1, { workerUrl: WORKER });
    expect(there.lists.map((l) => [l.info.id, l.info.mode, l.info.mandatory, l.info.review, l.entries])).toEqual([
      ['ads', 'log-only', false, '2027-01-01', 2],
      ['rpz', 'enforce', true, undefined, 2],
      ['nets', 'enforce', false, undefined, 3],
    ]);
    expect(there.lists).toEqual(here.lists);
    for (const q of ['ads.example', 'x.ok.ads.example', 'ok.ads.example', 'bad.example', 'a.bad.example', 'pass.bad.example', 'x.pass.bad.example']) {
      expect(there.match(q), q).toEqual(here.match(q));
      expect(there.matchAll(q), q).toEqual(here.matchAll(q));
    }
    expect(there.match('ok.ads.example')?.allow).toBe(true);
    expect(there.match('pass.bad.example')?.allow).toBe(true);
    expect(there.match('ads.example')?.allow).toBeUndefined();
    expect(there.prefixCount).toBe(3);
    const v4 = new Uint8Array([198, 51, 100, 70]);
    expect(there.matchAddress(v4, true).map((e) => e.domain)).toEqual(['198.51.100.64/26', '198.51.100.0/24']);
    expect(there.matchAddress(v4, true)).toEqual(here.matchAddress(v4, true));
    expect(there.matchAddress(new Uint8Array([192, 0, 2, 1]), true)).toEqual([]);
  });

  it('keeps a broken mandatory list at its previous version over two reloads, and applies the shrink guard', async () => {
    const ban = { file: writeHradba('wban', ['banned.test']), enabled: true, mandatory: true } satisfies ListConfig;
    const other = { file: writeHradba('wother', ['other.test', 'o2.test', 'o3.test', 'o4.test']), enabled: true } satisfies ListConfig;
    const v1 = await buildPolicyInWorker([ban, other], 0, 1, { workerUrl: WORKER });
    expect(v1.lists[0]?.source?.text).toContain('banned.test');
    writeHradba('wban', ['replaced.test', 'bad name!!']);
    writeHradba('wother', ['other.test', 'o2.test', 'o3.test', 'o4.test', 'new.test']);
    const v2 = await buildPolicyInWorker([ban, other], 0, 2, { workerUrl: WORKER, prev: v1, shrinkGuard: 50 });
    expect(v2.match('www.banned.test')?.list.id).toBe('wban');
    // Nothing of the rejected version got in, though it was parsed: it was checked before it went into the trie.
    expect(v2.match('replaced.test')).toBeUndefined();
    expect(v2.match('new.test')?.list.id).toBe('wother');
    expect(v2.kept.map((k) => [k.id, k.fromVersion])).toEqual([['wban', 1]]);
    expect(v2.kept[0]?.errors.join('\n')).toContain(`${ban.file}:6`);
    const v3 = await buildPolicyInWorker([ban, other], 0, 3, { workerUrl: WORKER, prev: v2, shrinkGuard: 50 });
    expect(v3.match('banned.test')?.list.id).toBe('wban');
    expect(v3.kept.map((k) => [k.id, k.fromVersion])).toEqual([['wban', 2]]);
    // The same reload on this thread gives the same policy.
    const here = await buildPolicy([ban, other], 0, 3, { prev: v2, shrinkGuard: 50 });
    expect(v3.lists).toEqual(here.lists);
    expect(v3.kept).toEqual(here.kept);

    // Shrink guard: the other list losing most of its entries is refused, unless forced; dropping the mandatory list too.
    writeHradba('wother', ['other.test']);
    writeHradba('wban', ['banned.test']);
    await expect(buildPolicyInWorker([ban, other], 0, 4, { workerUrl: WORKER, prev: v3, shrinkGuard: 50 })).rejects.toThrow(
      "list 'wother' shrank from 5 to 1 entries",
    );
    await expect(buildPolicyInWorker([other], 0, 4, { workerUrl: WORKER, prev: v3, force: true })).resolves.toMatchObject({ entryCount: 1 });
    await expect(buildPolicyInWorker([other], 0, 4, { workerUrl: WORKER, prev: v3, shrinkGuard: 100 })).rejects.toThrow(
      "mandatory list 'wban' is no longer enabled",
    );
  });
});
