/**
 * `hradba report` over the log of a running hradba: what the clients received, REFUSED shown as referrals rather
 * than blocks, and the A and AAAA of one lookup counted as one user attempt.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dig, parseDig } from '../helpers/dig.js';
import { startHradba } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { runCli } from '../helpers/run-cli.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';
import type { Report } from '../../src/report/report.js';

const dir = mkdtempSync(join(tmpdir(), 'hradba-report-received-'));
let nsd: NsdServer | undefined;
afterAll(async () => {
  await nsd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs hradba in `mode`, asks A and AAAA of one blocked name, and returns the path of its log. */
async function logOf(mode: string): Promise<string> {
  nsd ??= await startNsd();
  const h = await startHradba({ config: testConfig(nsd.port, { sinkhole: { mode } }), lists: { [TEST_LIST]: testvendorList() } });
  try {
    for (const type of ['A', 'AAAA']) {
      const run = parseDig((await dig({ port: h.port }, ['chat.banned-vendor.test', type])).stdout);
      expect(run.status).toBe(mode === 'refused' ? 'REFUSED' : 'NXDOMAIN');
    }
    await h.waitForLog((l) => l['event'] === 'sinkhole' && l['qtype'] === 'AAAA', 5000);
  } finally {
    await h.stop();
  }
  const file = join(dir, `${mode}.log`);
  writeFileSync(file, h.stdout());
  return file;
}

describe('hradba report on a live log', () => {
  it('mode nxdomain: two blocked queries, one user attempt', async () => {
    const log = await logOf('nxdomain');
    const json = JSON.parse((await runCli(['report', log, '--json'])).stdout) as Report;
    expect({ blocked: json.blocked, attempts: json.attempts, referrals: json.referrals }).toEqual({ blocked: 2, attempts: 1, referrals: 0 });
    expect(json.clients[0]?.vendors[0]?.received.map((r) => [r.received, r.count, r.attempts, r.referral])).toEqual([['NXDOMAIN', 2, 1, false]]);
    const text = (await runCli(['report', log])).stdout;
    expect(text).toMatch(/^127\.0\.0\.1(?: \([^)]*\))?\s+testvendor\s+NXDOMAIN\s+2\s+1\s/m);
    expect(text).toContain('2 blocked queries (1 user attempt) from 1 client,');
  });

  it('mode refused: referrals, not blocks', async () => {
    const log = await logOf('refused');
    const json = JSON.parse((await runCli(['report', log, '--json'])).stdout) as Report;
    expect({ blocked: json.blocked, attempts: json.attempts, referrals: json.referrals }).toEqual({ blocked: 0, attempts: 0, referrals: 2 });
    expect(json.clients[0]).toMatchObject({ client: '127.0.0.1', total: 0, referrals: 2 });
    const text = (await runCli(['report', log])).stdout;
    expect(text).toMatch(/^127\.0\.0\.1(?: \([^)]*\))?\s+testvendor\s+REFUSED \(referral\)\s+2\s+1\s/m);
    expect(text).toContain('0 blocked queries (0 user attempts) from 1 client,');
    expect(text).toContain('2 more queries answered REFUSED: referrals, not blocks');
  });
});
