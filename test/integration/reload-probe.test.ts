/**
 * Reload of a big list while a steady stream of queries runs: the list is compiled in a worker thread, so
 * every query is answered (none lost), the answers of untouched names never change, and the new name is
 * blocked afterwards. No timing is asserted: the gap length is a benchmark figure (npm run bench).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery, createUdpClient, parseHeader, RCODE, type UdpClient } from '../helpers/dns-client.js';
import { startHradba, type HradbaProcess, type LogLine } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

/** Enough names that building the policy takes a while: the probe runs throughout the build. */
const BIG = Array.from({ length: 150_000 }, (_, i) => `n${i}.bulk${i % 1000}.example.com`);

let nsd: NsdServer;
let hradba: HradbaProcess;

beforeAll(async () => {
  nsd = await startNsd();
  hradba = await startHradba({ config: testConfig(nsd.port), lists: { [TEST_LIST]: testvendorList(BIG) }, startTimeoutMs: 30_000 });
});

afterAll(async () => {
  await hradba?.stop();
  await nsd?.stop();
});

describe('reload of a 150,000-name list under a probe loop', () => {
  it('loses no query, keeps every other answer, then blocks the new name', async () => {
    const isReload = (l: LogLine): boolean => l['event'] === 'reload';
    const names = [
      { name: 'www.example.test', rcode: RCODE.NOERROR },
      { name: 'chat.banned-vendor.test', rcode: RCODE.NXDOMAIN },
      { name: 'n777.bulk777.example.com', rcode: RCODE.NXDOMAIN },
    ];
    const LANES = 8;
    const MAX_QUERIES = 40_000;
    const clients: UdpClient[] = [];
    for (let i = 0; i < LANES; i++) clients.push(await createUdpClient(hradba.port));

    let sent = 0;
    let answeredAfterReload = 0;
    let reloaded = false;
    const unanswered: string[] = [];
    const wrong: string[] = [];
    const deadline = Date.now() + 60_000;
    // Each lane asks one query at a time; together they keep several in flight at every moment.
    const lane = async (c: UdpClient, lane: number): Promise<void> => {
      // Bounded in count and time; the loop ends 200 answers per lane after the reload is in force.
      for (let i = 0; sent < MAX_QUERIES && Date.now() < deadline; i++) {
        if (reloaded && answeredAfterReload >= 200 * LANES) return;
        const { name, rcode } = names[(i + lane) % names.length] ?? names[0]!;
        const id = (sent++ * 7919 + lane) & 0xffff;
        const reply = await c.exchange(buildQuery({ id, name }), 3000);
        if (reply === null) {
          unanswered.push(`${name} #${i}`);
          continue;
        }
        if (parseHeader(reply).rcode !== rcode) wrong.push(`${name}: rcode ${parseHeader(reply).rcode}`);
        if (reloaded) answeredAfterReload++;
      }
    };
    const lanes = clients.map((c, i) => lane(c, i));

    // Reload once the probe is running.
    await new Promise((r) => setTimeout(r, 300));
    const sentBeforeReload = sent;
    hradba.writeList(TEST_LIST, testvendorList([...BIG, 'newly-banned.example.test']));
    hradba.kill('SIGHUP');
    const reload = await hradba.waitForLog(isReload, 30_000);
    reloaded = true;
    await Promise.all(lanes);
    await Promise.all(clients.map((c) => c.close()));

    expect(reload['ok'], hradba.stderr()).toBe(true);
    expect(sentBeforeReload).toBeGreaterThan(0);
    expect(sent).toBeGreaterThan(sentBeforeReload);
    expect(unanswered, `${unanswered.length} of ${sent} queries unanswered`).toEqual([]);
    expect(wrong).toEqual([]);

    const after = await createUdpClient(hradba.port);
    try {
      const reply = await after.exchange(buildQuery({ id: 4242, name: 'newly-banned.example.test' }), 3000);
      expect(reply).not.toBeNull();
      expect(parseHeader(reply!).rcode).toBe(RCODE.NXDOMAIN);
    } finally {
      await after.close();
    }
    expect(reload['entries']).toBe(BIG.length + 3);
  });
});
