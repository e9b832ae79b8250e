/**
 * Memory that fits its limit: hradba run as the deployment files run it (the Dockerfile's environment, one serving
 * thread, the default 64 MiB cache) is sent 100,000 distinct names at 2,500 q/s by dnsperf (bench/memory.mjs runs
 * 5,000 q/s; half of it here leaves CPU to the tests running beside this one), forwards them to an NSD
 * whose wildcard answers every one, and its resident set grows by no more than 1.5 times cache.maxBytes over idle.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery, createUdpClient, parseHeader, RCODE } from '../helpers/dns-client.js';
import { deploymentEnv } from '../helpers/deployment-env.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { requireTool } from '../helpers/paths.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';
import { delay } from '../helpers/wait.js';

const CACHE_BYTES = 64 * 1024 * 1024;
const NAMES = 100_000;
const QPS = 2500;

const WILDCARD_ZONE = ['$ORIGIN bulk.test.', '$TTL 3600', '@ IN SOA ns.bulk.test. admin.bulk.test. 1 3600 600 86400 3600', '@ IN NS ns.bulk.test.', 'ns IN A 127.0.0.1', '* IN A 192.0.2.7', ''].join('\n');

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** dnsperf sends every line of `file` once at `qps` (bounded to `limitS` seconds) and returns its report. */
function dnsperf(port: number, file: string, limitS: number): Promise<string> {
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-n', '1', '-Q', String(QPS), '-l', String(limitS), '-c', '4', '-q', '500', '-t', '5'];
  return new Promise((resolve, reject) => {
    execFile(requireTool('dnsperf'), args, { timeout: (limitS + 30) * 1000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`dnsperf: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

let nsd: NsdServer;
let hradba: HradbaProcess;

beforeAll(async () => {
  // No response rate limiting: every forwarded name must be answered, as by an agency's own resolvers.
  nsd = await startNsd({ zones: { 'bulk.test': WILDCARD_ZONE }, rrlRatelimit: 0 });
  hradba = await startHradba({
    config: testConfig(nsd.port, { cache: { enabled: true, maxBytes: CACHE_BYTES, maxEntries: 100_000 }, workers: 1 }),
    lists: { [TEST_LIST]: testvendorList() },
    env: deploymentEnv(),
  });
});

afterAll(async () => {
  await hradba?.stop();
  await nsd?.stop();
});

describe('memory under forwarded traffic', () => {
  it(`grows by at most 1.5x cache.maxBytes after ${NAMES.toLocaleString('en-US')} distinct forwarded names`, async () => {
    const pid = hradba.proc.pid ?? 0;
    // Warm up (code compiled, upstream sockets open), then read the idle footprint.
    const client = await createUdpClient(hradba.port);
    try {
      for (let i = 0; i < 200; i++) {
        const reply = await client.exchange(buildQuery({ id: i, name: `warm${i}.bulk.test` }), 3000);
        expect(reply === null ? null : parseHeader(reply).rcode).toBe(RCODE.NOERROR);
      }
    } finally {
      await client.close();
    }
    await delay(1000);
    const idle = rssBytes(pid);

    const file = join(hradba.dir, 'names.txt');
    writeFileSync(file, Array.from({ length: NAMES }, (_, i) => `n${i}.load.bulk.test A\n`).join(''));
    const report = await dnsperf(hradba.port, file, 120);
    const after = rssBytes(pid);

    const sent = Number(/Queries sent:\s+(\d+)/.exec(report)?.[1]);
    const noerror = Number(/NOERROR (\d+)/.exec(report)?.[1]);
    expect(sent, report).toBe(NAMES);
    // 64 MiB holds about 60,000 such answers: with 90% answered the cache was full whatever a busy machine lost.
    expect(noerror, report).toBeGreaterThan(NAMES * 0.9);
    expect((after - idle) / CACHE_BYTES, `RSS ${(idle / 1048576).toFixed(0)} -> ${(after / 1048576).toFixed(0)} MiB`).toBeLessThanOrEqual(1.5);
  }, 240_000);
});
