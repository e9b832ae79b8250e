/** The admin endpoint and `hradba health`, against the real process with a real NSD upstream. */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, parseDig } from '../helpers/dig.js';
import { buildQuery, parseHeader, RCODE, udpExchange } from '../helpers/dns-client.js';
import { freePort } from '../helpers/free-port.js';
import { series } from '../helpers/metrics-text.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { runCli } from '../helpers/run-cli.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

let nsd: NsdServer;

beforeAll(async () => {
  nsd = await startNsd();
});

afterAll(async () => {
  await nsd?.stop();
});

const get = (port: number, path: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`http://127.0.0.1:${port}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });

describe('admin endpoint with a working upstream', () => {
  let hradba: HradbaProcess;
  let adminPort: number;

  beforeAll(async () => {
    adminPort = await freePort();
    hradba = await startHradba({
      config: testConfig(nsd.port, { admin: { enabled: true, listen: `127.0.0.1:${adminPort}` } }),
      lists: { [TEST_LIST]: testvendorList() },
    });
    await hradba.waitForLog((l) => l['event'] === 'admin-listening', 5000);
  });

  afterAll(async () => {
    await hradba?.stop();
  });

  it('is ready before any query: a probe reaches the upstream', async () => {
    const r = await get(adminPort, '/readyz');
    expect(await r.text()).toBe('ready: upstream answered a probe\n');
    expect(r.status).toBe(200);
    expect((await get(adminPort, '/healthz')).status).toBe(200);
  });

  it('counts queries by transport and outcome, sinkholes by vendor and list, and upstream latency', async () => {
    const q = async (name: string, ...args: string[]): Promise<string | null> => parseDig((await dig({ port: hradba.port }, [name, 'A', ...args])).stdout).status;
    expect(await q('chat.banned-vendor.test')).toBe('NXDOMAIN');
    expect(await q('a.banned-vendor.test', '+tcp')).toBe('NXDOMAIN');
    expect(await q('www.example.test')).toBe('NOERROR');
    expect(await q('localhost')).toBe('NOERROR');
    expect(await q('www.example.test', '+tcp')).toBe('NOERROR');

    const r = await get(adminPort, '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = await r.text();
    expect(series(text, 'hradba_queries_total{transport="udp",outcome="sinkholed"}')).toBe(1);
    expect(series(text, 'hradba_queries_total{transport="tcp",outcome="sinkholed"}')).toBe(1);
    expect(series(text, 'hradba_queries_total{transport="udp",outcome="forwarded"}')).toBe(1);
    expect(series(text, 'hradba_queries_total{transport="tcp",outcome="forwarded"}')).toBe(1);
    expect(series(text, 'hradba_queries_total{transport="udp",outcome="local"}')).toBe(1);
    expect(series(text, 'hradba_sinkholed_total{vendor="testvendor",list="testvendor"}')).toBe(2);
    // The first forwarded query reaches the upstream; the second, the same name, is answered from the cache.
    // The readiness probe (`. NS`) is REFUSED by the authoritative NSD: an error, not a response.
    expect(series(text, `hradba_upstream_response_seconds_count{upstream="127.0.0.1:${nsd.port}"}`)).toBe(1);
    expect(series(text, `hradba_upstream_errors_total{upstream="127.0.0.1:${nsd.port}",reason="refused"}`)).toBe(1);
    expect(series(text, 'hradba_queries_in_flight')).toBe(0);
    expect(series(text, 'hradba_list_entries{list="testvendor"}')).toBe(2);
    expect(series(text, 'hradba_policy_version')).toBe(1);
    expect(series(text, 'hradba_reloads_total{result="ok"}')).toBe(0);
    expect(series(text, 'hradba_reloads_total{result="failed"}')).toBe(0);
    expect(series(text, 'hradba_policy_loaded_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 120);
    expect(text).toContain('hradba_process_resident_memory_bytes');
    // Labels stay bounded: never a query name, never a client address.
    expect(text).not.toMatch(/banned-vendor|example\.test|localhost|client=|127\.0\.0\.1"[,}]/);
  });

  it('counts good and failed reloads, the policy version and the entries of the new policy', async () => {
    hradba.writeList(TEST_LIST, testvendorList(['newly-banned.example.test']));
    hradba.kill('SIGHUP');
    await hradba.waitForLog((l) => l['event'] === 'reload' && l['ok'] === true, 10_000);
    hradba.writeList(TEST_LIST, '#@hradba-list 1\n#@id: broken\n');
    hradba.kill('SIGHUP');
    await hradba.waitForLog((l) => l['event'] === 'reload' && l['ok'] === false, 10_000);
    const text = await (await get(adminPort, '/metrics')).text();
    expect(series(text, 'hradba_reloads_total{result="ok"}')).toBe(1);
    expect(series(text, 'hradba_reloads_total{result="failed"}')).toBe(1);
    expect(series(text, 'hradba_policy_version')).toBe(2);
    expect(series(text, 'hradba_list_entries{list="testvendor"}')).toBe(3);
  });

  it('answers unknown paths with 404 and other methods with 405', async () => {
    expect((await get(adminPort, '/nope')).status).toBe(404);
    const post = await get(adminPort, '/metrics', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('`hradba health` exits 0 with a line saying the listener answered', async () => {
    const r = await runCli(['health', '--server', `127.0.0.1:${hradba.port}`]);
    expect(r.stdout).toMatch(new RegExp(`^healthy: 127\\.0\\.0\\.1:${hradba.port} answered localhost A in \\d+ ms\\n$`));
    expect(r.code).toBe(0);
    // Without --server, the config's first listen address.
    const fromConfig = await runCli(['health', '--config', hradba.configFile ?? '']);
    expect(fromConfig.stdout).toMatch(/^healthy: /);
    expect(fromConfig.code).toBe(0);
  });

  it('SIGTERM with a half-sent admin request open still exits 0 after the drain', async () => {
    const stuck = net.connect({ host: '127.0.0.1', port: adminPort });
    await new Promise<void>((done, fail) => stuck.once('connect', done).once('error', fail));
    stuck.on('error', () => {});
    stuck.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
    try {
      hradba.kill('SIGTERM');
      const exit = await hradba.exited;
      expect(exit.code).toBe(0);
      expect(hradba.logs().at(-1)?.['event']).toBe('shutdown');
    } finally {
      stuck.destroy();
    }
  });
});

describe('readiness without an answering upstream', () => {
  let hradba: HradbaProcess;
  let adminPort: number;

  beforeAll(async () => {
    adminPort = await freePort();
    const deadUpstream = await freePort();
    hradba = await startHradba({
      config: testConfig(deadUpstream, { forward: { attemptTimeout: '200ms', deadline: '400ms' } }),
      lists: { [TEST_LIST]: testvendorList() },
      args: ['--admin', `127.0.0.1:${adminPort}`],
    });
    await hradba.waitForLog((l) => l['event'] === 'admin-listening', 5000);
  });

  afterAll(async () => {
    await hradba?.stop();
  });

  it('/readyz is 503 while /healthz stays 200, and upstream errors are counted', async () => {
    const r = await get(adminPort, '/readyz');
    expect(r.status).toBe(503);
    expect(await r.text()).toBe('not ready: no upstream answered a probe (timeout)\n');
    expect((await get(adminPort, '/healthz')).status).toBe(200);
    const text = await (await get(adminPort, '/metrics')).text();
    expect(text).toMatch(/hradba_upstream_errors_total\{upstream="127\.0\.0\.1:\d+",reason="(timeout|error)"\} [1-9]/);
  });

  it('counts servfail, formerr and notimp outcomes', async () => {
    const servfail = await udpExchange(hradba.port, buildQuery({ id: 11, name: 'www.example.test' }), 3000);
    expect(servfail === null ? null : parseHeader(servfail).rcode).toBe(RCODE.SERVFAIL);
    const formerr = await udpExchange(hradba.port, buildQuery({ id: 12, name: 'x.example.test', qdcount: 0 }), 3000);
    expect(formerr === null ? null : parseHeader(formerr).rcode).toBe(RCODE.FORMERR);
    const notimp = await udpExchange(hradba.port, buildQuery({ id: 13, name: 'x.example.test', opcode: 2 }), 3000);
    expect(notimp === null ? null : parseHeader(notimp).rcode).toBe(RCODE.NOTIMP);
    const text = await (await get(adminPort, '/metrics')).text();
    expect(series(text, 'hradba_queries_total{transport="udp",outcome="servfail"}')).toBe(1);
    expect(series(text, 'hradba_queries_total{transport="udp",outcome="formerr"}')).toBe(1);
    expect(series(text, 'hradba_queries_total{transport="udp",outcome="notimp"}')).toBe(1);
  });

  it('`hradba health` still passes: it needs no upstream', async () => {
    const r = await runCli(['health', '--server', `127.0.0.1:${hradba.port}`]);
    expect(r.code).toBe(0);
  });
});

describe('hradba health against a listener that does not serve us', () => {
  it('exits 1 when nothing answers in time', async () => {
    const port = await freePort();
    const r = await runCli(['health', '--server', `127.0.0.1:${port}`, '--timeout', '500ms']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^unhealthy: (no answer from 127\\.0\\.0\\.1:${port} within 500ms|127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*)\\n$`));
  });

  it('exits 1 on a REFUSED answer, naming access.allow', async () => {
    const hradba = await startHradba({
      config: testConfig(nsd.port, { access: { allow: ['192.0.2.0/24'], action: 'refuse' } }),
      lists: { [TEST_LIST]: testvendorList() },
    });
    try {
      const r = await runCli(['health', '--server', `127.0.0.1:${hradba.port}`]);
      expect(r.stdout).toBe(`unhealthy: 127.0.0.1:${hradba.port}: the reply is REFUSED (is 127.0.0.1 or ::1 in access.allow?)\n`);
      expect(r.code).toBe(1);
    } finally {
      await hradba.stop();
    }
  });

  it('exits 2 on a bad --timeout', async () => {
    const r = await runCli(['health', '--server', '127.0.0.1:53', '--timeout', '5']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^unhealthy: --timeout: /);
  });
});
