/** Fail-closed bans on a real process: a broken mandatory list stops the start, survives a reload at its old version; the shrink guard and SIGUSR2. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dig, parseDig } from '../helpers/dig.js';
import { startHradba, type HradbaProcess, type LogLine } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

const isReload = (l: LogLine): boolean => l['event'] === 'reload';

/** A list of `n` names under bulk.test plus the given extra names. */
function bulkList(n: number, extra: readonly string[] = []): string {
  const names = Array.from({ length: n }, (_, i) => `n${i}.bulk.test`);
  return ['#@hradba-list 1', '#@id: bulk', '#@vendor: bulkvendor', '#@basis: Test Authority | 2026 | Bulk | https://example.org/bulk', ...names, ...extra, ''].join('\n');
}

let nsd: NsdServer;
beforeAll(async () => {
  nsd = await startNsd();
});
afterAll(async () => {
  await nsd?.stop();
});

const status = async (port: number, name: string): Promise<string | null> => parseDig((await dig({ port }, [name, 'A'])).stdout).status;

describe('start with a broken mandatory list', () => {
  it('exits non-zero naming the file and line, and never listens', async () => {
    const dir = makeTempDir('hradba-mandatory');
    try {
      writeFileSync(join(dir, TEST_LIST), testvendorList(['bad name!!']));
      const config = testConfig(nsd.port, { maxBadLines: 0, listen: ['127.0.0.1:1'], lists: [{ file: TEST_LIST, mandatory: true }] });
      writeFileSync(join(dir, 'hradba.yaml'), stringify(config));
      const r = await runCli(['serve', '--config', join(dir, 'hradba.yaml')]);
      expect(r.code).toBe(78);
      expect(r.stderr).toContain('cannot start');
      expect(r.stderr).toContain(`${join(dir, TEST_LIST)}:9`);
      expect(r.stdout).not.toContain('"event":"listening"');
    } finally {
      removeTempDir(dir);
    }
  });
});

describe('reload with a mandatory list', () => {
  let hradba: HradbaProcess;
  beforeAll(async () => {
    hradba = await startHradba({
      config: testConfig(nsd.port, { maxBadLines: 0, lists: [{ file: TEST_LIST, mandatory: true }, { file: 'bulk.list' }] }),
      lists: { [TEST_LIST]: testvendorList(), 'bulk.list': bulkList(10) },
    });
  });
  afterAll(async () => {
    await hradba?.stop();
  });

  it('keeps the old version of a broken mandatory list in force and applies the other lists', async () => {
    hradba.writeList(TEST_LIST, testvendorList(['newly-banned.example.test', 'bad name!!']));
    hradba.writeList('bulk.list', bulkList(10, ['newly-banned.example.net']));
    hradba.kill('SIGHUP');
    const kept = await hradba.waitForLog((l) => l['event'] === 'list-kept', 10_000);
    expect(kept['list']).toBe('testvendor');
    expect(JSON.stringify(kept['errors'])).toContain(`${TEST_LIST}:10`);
    const reload = await hradba.waitForLog(isReload, 10_000);
    expect(reload).toMatchObject({ ok: true, kept: ['testvendor'] });
    // The old ban is still enforced; the half-broken new version is not applied; the other list's change is.
    expect(await status(hradba.port, 'chat.banned-vendor.test')).toBe('NXDOMAIN');
    expect(await status(hradba.port, 'newly-banned.example.test')).toBe('NOERROR');
    expect(await status(hradba.port, 'newly-banned.example.net')).toBe('NXDOMAIN');
  });

  it('rejects a reload that shrinks a list by 80%, and takes it when forced with SIGUSR2', async () => {
    const seen = hradba.logs().filter(isReload);
    hradba.writeList('bulk.list', bulkList(2));
    hradba.kill('SIGHUP');
    const rejected = await hradba.waitForLog((l) => isReload(l) && !seen.includes(l), 10_000);
    expect(rejected['ok']).toBe(false);
    expect(JSON.stringify(rejected['errors'])).toContain("list 'bulk' shrank from 11 to 2 entries (82% lost, shrinkGuard allows 50%)");
    expect(await status(hradba.port, 'n9.bulk.test')).toBe('NXDOMAIN');
    expect(await status(hradba.port, 'newly-banned.example.net')).toBe('NXDOMAIN');

    const seen2 = hradba.logs().filter(isReload);
    hradba.kill('SIGUSR2');
    const forced = await hradba.waitForLog((l) => isReload(l) && !seen2.includes(l), 10_000);
    expect(forced).toMatchObject({ ok: true, forced: true });
    // No longer sinkholed: forwarded, and the test NSD refuses a zone it does not serve.
    expect(await status(hradba.port, 'n9.bulk.test')).toBe('REFUSED');
    expect(await status(hradba.port, 'n1.bulk.test')).toBe('NXDOMAIN');
    // The mandatory list is still at its kept version throughout.
    expect(await status(hradba.port, 'chat.banned-vendor.test')).toBe('NXDOMAIN');
  });
});
