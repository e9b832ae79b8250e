/** `hradba export rpz` loaded into a real Unbound as an RPZ: Unbound then blocks the names hradba blocks and lets the rest through. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dig, parseDig } from '../helpers/dig.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';
import { startUnbound, type UnboundServer } from '../helpers/unbound-rpz.js';

const EXTRA_LIST = '||example.net^\n@@||ns1.example.net^\n';

/** Names asked of both resolvers; the verdicts must agree, and both outcomes occur. */
const CORPUS = [
  'banned-vendor.test',
  'chat.banned-vendor.test',
  'api.v1.banned-vendor.test',
  'exact.example.net',
  'www.example.test',
  'alias.example.test',
  'example.net',
  'ns1.example.net',
  'sub.exact.example.net',
  'use-application-dns.net',
  'mask.icloud.com',
];

describe('hradba export rpz, enforced by Unbound', () => {
  let nsd: NsdServer;
  let hradba: HradbaProcess;
  let unbound: UnboundServer;
  let dir: string;
  let zone: string;

  beforeAll(async () => {
    nsd = await startNsd();
    dir = makeTempDir('export');
    const config = testConfig(nsd.port, {
      lists: [{ file: TEST_LIST }, { file: 'extra.txt', format: 'adblock', id: 'extra', vendor: 'example', basis: [{ authority: 'Agency', date: '2026-01-01', title: 'Internal decision', url: 'https://example.org/decision' }] }],
    });
    hradba = await startHradba({ config, lists: { [TEST_LIST]: testvendorList(), 'extra.txt': EXTRA_LIST } });
    writeFileSync(join(dir, 'hradba.yaml'), stringify({ ...config, listen: ['127.0.0.1:1'] }));
    writeFileSync(join(dir, TEST_LIST), testvendorList());
    writeFileSync(join(dir, 'extra.txt'), EXTRA_LIST);
    const out = join(dir, 'policy.rpz');
    const r = await runCli(['export', 'rpz', '--config', join(dir, 'hradba.yaml'), '--origin', 'rpz.hradba.test', '--output', out]);
    expect(r.code, r.stderr).toBe(0);
    const { readFileSync } = await import('node:fs');
    zone = readFileSync(out, 'utf8');
    unbound = await startUnbound({ upstreamPort: nsd.port, rpzName: 'rpz.hradba.test.', rpzText: zone, probeName: 'www.example.test' });
  });

  afterAll(async () => {
    await unbound?.stop();
    await hradba?.stop();
    await nsd?.stop();
    if (dir !== undefined) removeTempDir(dir);
  });

  it('carries provenance in comments', () => {
    expect(zone).toContain('; list testvendor: vendor Test Vendor (testvendor)');
    expect(zone).toContain('; basis: Test Authority, 2025-07-09: Test ban <https://example.org/ban>');
    expect(zone).toMatch(/^banned-vendor\.test CNAME \. ; testvendor .*testvendor\.list:7$/m);
    expect(zone).toMatch(/^ns1\.example\.net CNAME rpz-passthru\. ; allow extra/m);
  });

  it('makes Unbound answer every name of the corpus as hradba does', async () => {
    const verdicts: Array<[string, string | null, string | null]> = [];
    for (const name of CORPUS) {
      const h = parseDig((await dig({ port: hradba.port }, [name, 'A'])).stdout).status;
      const u = parseDig((await dig({ port: unbound.port }, [name, 'A'])).stdout).status;
      verdicts.push([name, h, u]);
    }
    const blocked = (s: string | null): boolean => s === 'NXDOMAIN';
    expect(verdicts.map(([n, , u]) => [n, blocked(u)]), `${JSON.stringify(verdicts)}\n${unbound.output()}`).toEqual(verdicts.map(([n, h]) => [n, blocked(h)]));
    // Both outcomes occur, so agreement means something.
    expect(verdicts.filter(([, h]) => blocked(h)).map(([n]) => n)).toEqual([
      'banned-vendor.test',
      'chat.banned-vendor.test',
      'api.v1.banned-vendor.test',
      'exact.example.net',
      'example.net',
      'sub.exact.example.net',
      'use-application-dns.net',
      'mask.icloud.com',
    ]);
  });
});
