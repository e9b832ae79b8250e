/**
 * Memory that fits its limit: hradba run as the deployment files run it (the Dockerfile's environment, one serving
 * thread, the default 64 MiB cache) forwards 100,000 distinct names to an NSD whose wildcard answers every one, and
 * its resident set grows by no more than 1.5 times cache.maxBytes over the idle process.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery, createUdpClient, parseHeader, RCODE } from '../helpers/dns-client.js';
import { deploymentEnv } from '../helpers/deployment-env.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';
import { delay } from '../helpers/wait.js';

const CACHE_BYTES = 64 * 1024 * 1024;
const NAMES = 100_000;
/** Queries in flight at once: a steady load that a loaded test machine still answers well inside the deadline. */
const WINDOW = 64;

const WILDCARD_ZONE = ['$ORIGIN bulk.test.', '$TTL 3600', '@ IN SOA ns.bulk.test. admin.bulk.test. 1 3600 600 86400 3600', '@ IN NS ns.bulk.test.', 'ns IN A 127.0.0.1', '* IN A 192.0.2.7', ''].join('\n');

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

let nsd: NsdServer;
let hradba: HradbaProcess;

beforeAll(async () => {
  nsd = await startNsd({ zones: { 'bulk.test': WILDCARD_ZONE } });
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
    const client = await createUdpClient(hradba.port);
    const rcodes = new Map<number, number>();
    let unanswered = 0;
    const ask = async (name: string, id: number): Promise<void> => {
      const reply = await client.exchange(buildQuery({ id, name }), 5000);
      if (reply === null) unanswered++;
      else {
        const rcode = parseHeader(reply).rcode;
        rcodes.set(rcode, (rcodes.get(rcode) ?? 0) + 1);
      }
    };
    try {
      // Warm up (code compiled, sockets open), then read the idle footprint.
      for (let i = 0; i < 200; i++) await ask(`warm${i}.bulk.test`, i);
      await delay(1000);
      const idle = rssBytes(pid);
      let next = 0;
      const runLane = async (lane: number): Promise<void> => {
        for (let i = next++; i < NAMES; i = next++) await ask(`n${i}.load.bulk.test`, (lane * 1024 + (i % 1024)) & 0xffff);
      };
      await Promise.all(Array.from({ length: WINDOW }, (_, lane) => runLane(lane)));
      const after = rssBytes(pid);
      const growth = after - idle;
      expect(unanswered, `${unanswered} of ${NAMES} unanswered`).toBeLessThan(NAMES / 100);
      expect(rcodes.get(RCODE.NOERROR) ?? 0).toBeGreaterThan(NAMES * 0.98);
      expect(growth / CACHE_BYTES, `RSS ${(idle / 1048576).toFixed(0)} -> ${(after / 1048576).toFixed(0)} MiB`).toBeLessThanOrEqual(1.5);
    } finally {
      await client.close();
    }
  }, 300_000);
});
