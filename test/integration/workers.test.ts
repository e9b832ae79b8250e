/**
 * `workers: 2`: two serving threads on one address (SO_REUSEPORT) and one policy, against the real process with a
 * real NSD upstream: both threads answer, a reload reaches both, metrics are summed, log lines stay whole.
 */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, parseDig } from '../helpers/dig.js';
import { buildQuery, parseHeader, RCODE, udpExchange } from '../helpers/dns-client.js';
import { freePort } from '../helpers/free-port.js';
import { series } from '../helpers/metrics-text.js';
import { startHradba, type HradbaProcess, type LogLine } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';
import { retry } from '../helpers/wait.js';

let nsd: NsdServer;

beforeAll(async () => {
  nsd = await startNsd();
});

afterAll(async () => {
  await nsd?.stop();
});

const metricsOf = async (port: number): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();

/** rcodes sends `count` queries for `name`, each from a fresh socket (a new source port), and returns their RCODEs. */
async function rcodes(port: number, name: string, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await udpExchange(port, buildQuery({ id: 1000 + i, name }));
    out.push(answer === null ? -1 : parseHeader(answer).rcode);
  }
  return out;
}

const sinkholeWorkers = (lines: LogLine[], qname: string): Set<unknown> =>
  new Set(lines.filter((l) => l['event'] === 'sinkhole' && l['qname'] === qname).map((l) => l['worker']));

describe('workers: 2', () => {
  let hradba: HradbaProcess;
  let adminPort: number;

  beforeAll(async () => {
    adminPort = await freePort();
    hradba = await startHradba({
      config: testConfig(nsd.port, { workers: 2, admin: { enabled: true, listen: `127.0.0.1:${adminPort}` } }),
      lists: { [TEST_LIST]: testvendorList() },
    });
    await hradba.waitForLog((l) => l['event'] === 'admin-listening', 10_000);
    // Each thread writes its own lines, so across threads the log's order is not the order of events: wait for
    // both threads' listening lines, whichever reaches stdout first.
    for (const worker of [1, 2]) await hradba.waitForLog((l) => l['event'] === 'listening' && l['worker'] === worker, 10_000);
  });

  afterAll(async () => {
    await hradba?.stop();
  });

  it('starts two serving threads on the one address, then says so once', () => {
    const logs = hradba.logs();
    const listening = logs.filter((l) => l['event'] === 'listening');
    expect(listening.map((l) => l['worker']).sort()).toEqual([1, 2]);
    for (const l of listening) expect(l['listeners']).toContain(`udp 127.0.0.1:${hradba.port}`);
    const all = logs.filter((l) => l['event'] === 'workers-listening');
    expect(all).toHaveLength(1);
    expect(all[0]?.['workers']).toBe(2);
  });

  it('both threads answer: queries from many source ports are sinkholed by thread 1 and by thread 2', async () => {
    expect(await rcodes(hradba.port, 'spread.banned-vendor.test', 40)).toEqual(new Array(40).fill(RCODE.NXDOMAIN));
    await hradba.waitForLog((l) => l['event'] === 'sinkhole' && l['qname'] === 'spread.banned-vendor.test' && l['worker'] === 2, 5000);
    expect(sinkholeWorkers(hradba.logs(), 'spread.banned-vendor.test')).toEqual(new Set([1, 2]));
    // TCP is shared the same way, and forwarding works from either thread.
    expect(parseDig((await dig({ port: hradba.port }, ['tcp.banned-vendor.test', 'A', '+tcp'])).stdout).status).toBe('NXDOMAIN');
    expect(parseDig((await dig({ port: hradba.port }, ['www.example.test', 'A'])).stdout).status).toBe('NOERROR');
  });

  it('sums the threads\' metrics; policy gauges are taken once', async () => {
    const before = series(await metricsOf(adminPort), 'hradba_queries_total{transport="udp",outcome="sinkholed"}');
    expect(await rcodes(hradba.port, 'count.banned-vendor.test', 30)).toEqual(new Array(30).fill(RCODE.NXDOMAIN));
    const text = await metricsOf(adminPort);
    expect(series(text, 'hradba_queries_total{transport="udp",outcome="sinkholed"}')).toBe(before + 30);
    expect(series(text, 'hradba_workers')).toBe(2);
    expect(series(text, 'hradba_policy_version')).toBe(1);
    expect(series(text, 'hradba_list_entries{list="testvendor"}')).toBe(2);
    expect(series(text, 'hradba_build_info{version="0.1.0"}')).toBe(1);
    expect(text).toMatch(/^hradba_process_resident_memory_bytes \d+/m);
  });

  it('a SIGHUP compiles once and installs the new list in both threads', async () => {
    hradba.writeList(TEST_LIST, testvendorList(['added-by-reload.test']));
    hradba.kill('SIGHUP');
    await hradba.waitForLog((l) => l['event'] === 'reload' && l['ok'] === true && l['worker'] === 1, 10_000);
    await hradba.waitForLog((l) => l['event'] === 'reload' && l['ok'] === true && l['worker'] === 2, 10_000);
    expect(hradba.logs().filter((l) => l['event'] === 'reload-compiled')).toHaveLength(1);
    expect(await rcodes(hradba.port, 'x.added-by-reload.test', 40)).toEqual(new Array(40).fill(RCODE.NXDOMAIN));
    await hradba.waitForLog((l) => l['event'] === 'sinkhole' && l['qname'] === 'x.added-by-reload.test' && l['worker'] === 2, 5000);
    expect(sinkholeWorkers(hradba.logs(), 'x.added-by-reload.test')).toEqual(new Set([1, 2]));
    const text = await metricsOf(adminPort);
    expect(series(text, 'hradba_policy_version')).toBe(2);
    expect(series(text, 'hradba_reloads_total{result="ok"}')).toBe(1);
    expect(series(text, 'hradba_list_entries{list="testvendor"}')).toBe(3);
  });

  it('a broken reload is reported once and both threads keep the policy in force', async () => {
    hradba.writeList(TEST_LIST, 'not a list header\nbad name!\n');
    hradba.kill('SIGHUP');
    const failed = await hradba.waitForLog((l) => l['event'] === 'reload' && l['ok'] === false, 10_000);
    expect(failed['worker']).toBeUndefined();
    expect(String(failed['errors'])).toContain(TEST_LIST);
    expect(await rcodes(hradba.port, 'y.added-by-reload.test', 20)).toEqual(new Array(20).fill(RCODE.NXDOMAIN));
    const text = await metricsOf(adminPort);
    expect(series(text, 'hradba_reloads_total{result="failed"}')).toBe(1);
    expect(series(text, 'hradba_policy_version')).toBe(2);
    hradba.writeList(TEST_LIST, testvendorList(['added-by-reload.test']));
  });

  it('says once that a changed listen address needs a restart, and keeps serving where it is', async () => {
    const config = { ...testConfig(nsd.port, { workers: 2, admin: { enabled: true, listen: `127.0.0.1:${adminPort}` } }), listen: [`127.0.0.1:${await freePort()}`] };
    hradba.writeConfig(config);
    hradba.kill('SIGHUP');
    const warned = await hradba.waitForLog((l) => l['event'] === 'reload-restart-needed', 10_000);
    expect(warned['worker']).toBeUndefined();
    await hradba.waitForLog((l) => l['event'] === 'reload' && l['ok'] === true && l['policyVersion'] === 3 && l['worker'] === 2, 10_000);
    expect(await rcodes(hradba.port, 'z.added-by-reload.test', 10)).toEqual(new Array(10).fill(RCODE.NXDOMAIN));
  });

  it('lines written by both threads under load are never cut or interleaved', async () => {
    // 400 queries in flight at once from 32 sockets (32 source ports: the kernel hashes each to a thread, and all
    // 32 landing on one thread has a chance of 1 in 2^31), so both threads log at the same moment.
    const sockets = await Promise.all(
      Array.from({ length: 32 }, async () => {
        const s = dgram.createSocket('udp4');
        await new Promise<void>((done) => s.bind(0, '127.0.0.1', done));
        return s;
      }),
    );
    let answers = 0;
    const allIn = new Promise<void>((done) => {
      for (const s of sockets) {
        s.on('message', () => {
          answers++;
          if (answers === 400) done();
        });
      }
    });
    for (let i = 0; i < 400; i++) sockets[i % 32]?.send(buildQuery({ id: i, name: `burst${i}.banned-vendor.test` }), hradba.port, '127.0.0.1');
    await Promise.race([allIn, new Promise((r) => setTimeout(r, 10_000))]);
    for (const s of sockets) s.close();
    expect(answers).toBe(400);
    // Each thread writes its lines on its own schedule: wait (bounded) until every one has arrived.
    const burstLines = (): LogLine[] => hradba.logs().filter((l) => typeof l['qname'] === 'string' && (l['qname'] as string).startsWith('burst'));
    const burst = await retry('400 burst lines', 50, 100, async () => (burstLines().length >= 400 ? burstLines() : undefined)).catch(() => burstLines());
    expect(burst).toHaveLength(400);
    expect(new Set(burst.map((l) => l['qname'])).size).toBe(400);
    expect(new Set(burst.map((l) => l['worker']))).toEqual(new Set([1, 2]));
    expect(hradba.logs().filter((l) => 'raw' in l)).toEqual([]);
  });

  it('readiness asks every thread; SIGTERM stops both and exits 0', async () => {
    const r = await fetch(`http://127.0.0.1:${adminPort}/readyz`, { signal: AbortSignal.timeout(10_000) });
    expect(await r.text()).toBe('ready: all 2 serving threads ready\n');
    hradba.kill('SIGTERM');
    const { code } = await hradba.exited;
    expect(code).toBe(0);
    expect(hradba.logs().some((l) => l['event'] === 'shutdown')).toBe(true);
  });
});

describe('workers: 2 and an address another process holds', () => {
  it('fails at start with the usual one-line reason, instead of sharing the port', async () => {
    const port = await freePort();
    const holder = dgram.createSocket({ type: 'udp4', reusePort: true });
    await new Promise<void>((done) => holder.bind({ address: '127.0.0.1', port, exclusive: true }, done));
    try {
      const failed = startHradba({ config: { ...testConfig(nsd.port), workers: 2, listen: [`127.0.0.1:${port}`] }, lists: { [TEST_LIST]: testvendorList() } });
      await expect(failed).rejects.toThrow(/address already in use/);
    } finally {
      holder.close();
    }
  });
});
