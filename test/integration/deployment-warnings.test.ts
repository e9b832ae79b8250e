/**
 * `hradba check` and the start log warn about settings that clients turn into something else than a block:
 * sinkhole mode `refused` (stubs ask the next nameserver) and `null` (0.0.0.0 is the client's own host).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startHradba } from '../helpers/hradba.js';
import { runCli } from '../helpers/run-cli.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

const dir = mkdtempSync(join(tmpdir(), 'hradba-warnings-'));
writeFileSync(join(dir, TEST_LIST), testvendorList());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The warning each mode must give (a phrase of it), or null for none. */
const MODES = [
  { sinkhole: { mode: 'refused' }, warning: /sinkhole\.mode 'refused' sends clients to their next nameserver: glibc, curl and musl ask it on REFUSED/ },
  { sinkhole: { mode: 'null' }, warning: /sinkhole\.mode 'null' points clients at their own host: 0\.0\.0\.0 and :: mean "this host"/ },
  { sinkhole: { mode: 'nxdomain' }, warning: null },
  { sinkhole: { mode: 'nodata' }, warning: null },
  { sinkhole: { mode: 'ip', ipv4: '192.0.2.99' }, warning: null },
] as const;

describe.each(MODES)('sinkhole $sinkhole.mode', ({ sinkhole, warning }) => {
  const config = testConfig(5300, { sinkhole });

  it(warning === null ? 'hradba check gives no sinkhole warning' : 'hradba check warns, and still exits 0', async () => {
    const file = join(dir, `${sinkhole.mode}.yaml`);
    writeFileSync(file, stringify(config));
    const r = await runCli(['check', '--config', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('warning:') && l.includes('sinkhole.mode'));
    if (warning === null) expect(lines).toEqual([]);
    else {
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`warning: ${file}: `);
      expect(lines[0]).toMatch(warning);
    }
  });

  it(warning === null ? 'the start log has no config warning' : 'the start log warns before the listening line', async () => {
    const h = await startHradba({ config, lists: { [TEST_LIST]: testvendorList() } });
    try {
      const logs = h.logs();
      const listening = logs.findIndex((l) => l['event'] === 'listening');
      const warned = logs.filter((l) => l['event'] === 'config-warning' && l['key'] === 'sinkhole.mode');
      if (warning === null) expect(warned).toEqual([]);
      else {
        expect(warned).toHaveLength(1);
        expect(warned[0]!['level']).toBe('warn');
        expect(String(warned[0]!['msg'])).toMatch(warning);
        expect(logs.indexOf(warned[0]!)).toBeLessThan(listening);
      }
    } finally {
      await h.stop();
    }
  });
});
