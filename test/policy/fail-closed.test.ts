/** Fail-closed reloads: a broken mandatory list keeps its previous version, the shrink guard, and what a forced reload allows. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ListConfig } from '../../src/config/types.js';
import { HradbaError } from '../../src/errors.js';
import { buildPolicy, type BuildPolicyOptions } from '../../src/policy/policy.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'hradba-failclosed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(id: string, entries: readonly string[], extra: Partial<ListConfig> = {}): ListConfig {
  const file = path.join(tmp, `${id}.list`);
  writeFileSync(file, ['#@hradba-list 1', `#@id: ${id}`, `#@vendor: v-${id}`, `#@basis: A | 2025 | T | https://example.org/`, ...entries, ''].join('\n'));
  return { file, enabled: true, ...extra };
}

const names = (n: number, base: string): string[] => Array.from({ length: n }, (_, i) => `n${i}.${base}`);

async function failure(lists: readonly ListConfig[], opts: BuildPolicyOptions): Promise<string> {
  try {
    await buildPolicy(lists, 0, 2, opts);
  } catch (err) {
    if (err instanceof HradbaError) return err.message;
    throw err;
  }
  return 'no error';
}

describe('reloading a mandatory list', () => {
  it('keeps the previous version of a broken mandatory list and applies the rest of the reload', async () => {
    const ban = write('ban', ['banned.test'], { mandatory: true });
    const other = write('other', ['other.test']);
    const v1 = await buildPolicy([ban, other], 0, 1);
    write('ban', ['banned.test', 'bad name!!'], { mandatory: true });
    write('other', ['other.test', 'new.test']);
    const v2 = await buildPolicy([ban, other], 0, 2, { prev: v1, shrinkGuard: 50 });
    expect(v2.match('www.banned.test')?.list.id).toBe('ban');
    expect(v2.match('new.test')?.list.id).toBe('other');
    expect(v2.kept.map((k) => [k.id, k.fromVersion])).toEqual([['ban', 1]]);
    expect(v2.kept[0]?.errors.join('\n')).toContain(`${ban.file}:6`);
    // And again on the next reload: the kept version is still there to keep.
    const v3 = await buildPolicy([ban, other], 0, 3, { prev: v2, shrinkGuard: 50 });
    expect(v3.match('banned.test')?.list.id).toBe('ban');
  });

  it('rejects the whole reload when a non-mandatory list breaks, or a mandatory one that had no previous version', async () => {
    const a = write('a', ['a.test']);
    const v1 = await buildPolicy([a], 0, 1);
    write('a', ['a.test', 'bad name!!']);
    expect(await failure([a], { prev: v1 })).toContain(`a.list: 1 bad lines`);
    const fresh = write('fresh', ['bad name!!'], { mandatory: true });
    write('a', ['a.test']);
    expect(await failure([a, fresh], { prev: v1 })).toContain('fresh.list');
  });

  it('rejects a reload that drops or disables a mandatory list, unless forced', async () => {
    const m = write('m', ['m.test'], { mandatory: true });
    const v1 = await buildPolicy([m], 0, 1);
    expect(await failure([{ ...m, enabled: false }], { prev: v1 })).toContain("mandatory list 'm' is no longer enabled");
    expect(await failure([], { prev: v1 })).toContain("mandatory list 'm' is no longer enabled");
    const forced = await buildPolicy([], 0, 2, { prev: v1, force: true });
    expect(forced.match('m.test')).toBeUndefined();
  });
});

describe('shrink guard', () => {
  it.each([
    // [entries before, after, guard %, rejected?]
    [100, 20, 50, true],
    [100, 49, 50, true],
    [100, 50, 50, false],
    [100, 100, 50, false],
    [100, 150, 50, false],
    [100, 1, 100, false],
    [100, 89, 10, true],
    [100, 99, 0, true],
  ])('%i → %i entries with shrinkGuard %i%%: rejected %s', async (before, after, guard, rejected) => {
    const id = `s${before}-${after}-${guard}`;
    const cfg = write(id, names(before, 'shrink.test'));
    const v1 = await buildPolicy([cfg], 0, 1);
    write(id, names(after, 'shrink.test'));
    const message = await failure([cfg], { prev: v1, shrinkGuard: guard });
    if (rejected) {
      expect(message).toContain(`list '${id}' shrank from ${before} to ${after} entries`);
      // Forced, the same reload goes through.
      expect((await buildPolicy([cfg], 0, 2, { prev: v1, shrinkGuard: guard, force: true })).lists[0]?.entries).toBe(after);
    } else {
      expect(message).toBe('no error');
    }
  });

  it('does not apply at start (no previous version)', async () => {
    const cfg = write('start', names(3, 'start.test'));
    expect((await buildPolicy([cfg], 0, 1, { shrinkGuard: 0 })).entryCount).toBe(3);
  });
});
