/**
 * The container image, built and run as an agency runs it: config and list mounted read-only, a read-only root
 * filesystem, DNS published on a loopback port, the admin endpoint on another. The upstream is a real NSD inside the
 * container's own network namespace (see nsd-in-netns.ts), so every packet stays on this machine.
 * Run with `npm run test:container` (CI runs it after `npm test`).
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dig, parseDig, rdata } from '../helpers/dig.js';
import { buildQuery, createUdpClient, parseHeader, RCODE } from '../helpers/dns-client.js';
import { freePort } from '../helpers/free-port.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { TEST_LIST, testvendorList } from '../helpers/test-config.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { delay, retry } from '../helpers/wait.js';
import { startNsdInNetns, type NetnsNsd } from './nsd-in-netns.js';
import { container, containerPid, healthcheck, prepareBaseImage } from './container-engine.js';

const IMAGE = 'localhost/hradba:container-test';
/** NSD's port inside the container's namespace (any free one there; the namespace is empty). */
const NSD_PORT = 5300;

type LogLine = Record<string, unknown>;

let dir: string;
let id = '';
let nsd: NetnsNsd | undefined;
let dnsPort: number;
let adminPort: number;

/** The container's output as JSON lines (stdout and stderr together; non-JSON lines are kept raw). */
async function logs(): Promise<LogLine[]> {
  const r = await container(['logs', id]);
  return `${r.stdout}\n${r.stderr}`
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l): LogLine => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        return { raw: l };
      }
    });
}

async function waitForLog(what: string, pred: (l: LogLine) => boolean, attempts = 60): Promise<LogLine> {
  return retry(what, attempts, 250, async () => (await logs()).find(pred));
}

const admin = (path: string): Promise<Response> => fetch(`http://127.0.0.1:${adminPort}${path}`, { signal: AbortSignal.timeout(10_000) });

beforeAll(async () => {
  // Pulled by the build where the engine reaches a registry; on machines without one, built locally once (about 2 minutes).
  await prepareBaseImage('docker.io/library/node:24-bookworm-slim');
  const built = await container(['build', '-t', IMAGE, REPO_ROOT], { timeoutMs: 300_000 });
  expect(built.stdout + built.stderr).toContain(IMAGE);

  dnsPort = await freePort();
  adminPort = await freePort();
  dir = makeTempDir('container');
  const config = {
    listen: ['0.0.0.0:53'],
    upstreams: [`127.0.0.1:${NSD_PORT}`],
    forward: { attemptTimeout: '1s', deadline: '3s', socketPool: 4, testNames: true },
    // Clients arrive through the published port from the container network's gateway, a private address.
    access: { allow: ['127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '::1/128', 'fc00::/7'], action: 'refuse' },
    lists: [{ file: TEST_LIST }],
    shutdown: { grace: '2s' },
    admin: { enabled: true, listen: '0.0.0.0:9153' },
  };
  writeFileSync(join(dir, 'hradba.yaml'), stringify(config));
  writeFileSync(join(dir, TEST_LIST), testvendorList());
  // The image runs as uid 1000: the mounted files must be readable by it, as on an agency host.
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'hradba.yaml'), 0o644);
  chmodSync(join(dir, TEST_LIST), 0o644);

  const started = await container([
    'run', '-d', '--read-only', '--cap-drop', 'ALL',
    '-v', `${dir}:/etc/hradba:ro`,
    '-p', `127.0.0.1:${dnsPort}:53/udp`, '-p', `127.0.0.1:${dnsPort}:53/tcp`, '-p', `127.0.0.1:${adminPort}:9153/tcp`,
    IMAGE, 'serve', '--config', '/etc/hradba/hradba.yaml',
  ]);
  id = started.stdout.trim().split('\n').at(-1) ?? '';
  expect(id).toMatch(/^[0-9a-f]{64}$/);
  await waitForLog('hradba listening in the container', (l) => l['event'] === 'admin-listening');
  nsd = await startNsdInNetns(await containerPid(id), NSD_PORT);
}, 1_200_000);

afterAll(async () => {
  await nsd?.stop();
  if (id !== '') await container(['rm', '-f', id], { allowFail: true });
  if (dir !== undefined) removeTempDir(dir);
});

describe('the hradba container image', () => {
  it('runs as the non-root node user on a read-only root filesystem, with Node as PID 1', async () => {
    const inspect = JSON.parse((await container(['inspect', id])).stdout) as Array<{ Config: { User: string }; HostConfig: { ReadonlyRootfs: boolean } }>;
    expect(inspect[0]?.Config.User).toBe('node');
    expect(inspect[0]?.HostConfig.ReadonlyRootfs).toBe(true);
    const who = await container(['exec', id, 'node', '-e', "process.stdout.write(`${process.getuid()} ${require('fs').readFileSync('/proc/1/cmdline','utf8').split('\\0')[0]}`)"]);
    expect(who.stdout).toBe('1000 node');
    const write = await container(['exec', id, 'node', '-e', "require('fs').writeFileSync('/app/x', 'x')"], { allowFail: true });
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/EROFS|read-only file system/);
    // The final stage holds production dependencies and the built code only: no compiler, no test runner, no sources.
    const files = await container(['exec', id, 'node', '-e', "const fs = require('fs'); process.stdout.write(JSON.stringify(['node_modules/prom-client', 'node_modules/pino', 'dist/cli/main.js', 'node_modules/typescript', 'node_modules/vitest', 'node_modules/node', 'src', 'test'].map((p) => fs.existsSync('/app/' + p))))"]);
    expect(JSON.parse(files.stdout)).toEqual([true, true, true, false, false, false, false, false]);
    const listening = (await logs()).find((l) => l['event'] === 'listening');
    expect(listening?.['pid']).toBe(1);
    // The memory settings of the image (README "Memory") reach the serving process.
    const env = await container(['exec', id, 'node', '-e', "process.stdout.write(require('fs').readFileSync('/proc/1/environ','utf8').split('\\0').filter((v) => /^(MALLOC_MMAP_THRESHOLD_|NODE_OPTIONS)=/.test(v)).sort().join(' '))"]);
    expect(env.stdout).toBe('MALLOC_MMAP_THRESHOLD_=131072 NODE_OPTIONS=--max-semi-space-size=4');
  });

  it('sinkholes a banned name and forwards an allowed one, over UDP and over TCP', async () => {
    for (const transport of ['+notcp', '+tcp']) {
      const blocked = parseDig((await dig({ port: dnsPort }, ['chat.banned-vendor.test', 'A', transport])).stdout);
      expect(blocked.status, blocked.text).toBe('NXDOMAIN');
      expect(blocked.ede?.code).toBe(15);
      expect(blocked.ede?.text).toContain('testvendor');
      const allowed = parseDig((await dig({ port: dnsPort }, ['www.example.test', 'A', transport])).stdout);
      expect(allowed.status, allowed.text).toBe('NOERROR');
      expect(rdata(allowed, 'A')).toEqual(['192.0.2.10']);
    }
    const line = await waitForLog('a sinkhole line', (l) => l['event'] === 'sinkhole' && l['transport'] === 'tcp');
    expect(line['qname']).toBe('chat.banned-vendor.test');
    expect(line['vendor']).toBe('testvendor');
  });

  it('reloads a changed mounted list on `kill -s HUP` without failing a single query', async () => {
    const before = parseDig((await dig({ port: dnsPort }, ['newly-banned.example.test', 'A'])).stdout);
    expect(before.status).toBe('NOERROR');

    const TOTAL = 300;
    const RELOAD_AT = 50;
    const names = ['www.example.test', 'chat.banned-vendor.test', 'newly-banned.example.test'];
    const client = await createUdpClient(dnsPort);
    const unanswered: number[] = [];
    const rcodes = new Map<string, Set<number>>();
    let hup: Promise<unknown> = Promise.resolve();
    try {
      for (let i = 0; i < TOTAL; i++) {
        if (i === RELOAD_AT) {
          writeFileSync(join(dir, TEST_LIST), testvendorList(['newly-banned.example.test']));
          hup = container(['kill', '-s', 'HUP', id]);
        }
        const name = names[i % names.length] ?? 'www.example.test';
        const reply = await client.exchange(buildQuery({ id: (i * 7919 + 1) & 0xffff, name }), 3000);
        if (reply === null) {
          unanswered.push(i);
          continue;
        }
        const set = rcodes.get(name) ?? new Set<number>();
        set.add(parseHeader(reply).rcode);
        rcodes.set(name, set);
        // Keep the loop running while the reload happens, not all before it.
        if (i > RELOAD_AT && i % 25 === 0) await delay(20);
      }
    } finally {
      await client.close();
    }
    await hup;
    expect(unanswered).toEqual([]);
    expect([...(rcodes.get('www.example.test') ?? [])]).toEqual([RCODE.NOERROR]);
    expect([...(rcodes.get('chat.banned-vendor.test') ?? [])]).toEqual([RCODE.NXDOMAIN]);

    const reload = await waitForLog('the reload line', (l) => l['event'] === 'reload');
    expect(reload['ok']).toBe(true);
    expect(reload['policyVersion']).toBe(2);
    const after = parseDig((await dig({ port: dnsPort }, ['newly-banned.example.test', 'A'])).stdout);
    expect(after.status).toBe('NXDOMAIN');
  });

  it('serves /metrics, /readyz and /healthz on the admin port', async () => {
    const metrics = await admin('/metrics');
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    const value = (series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? NaN : Number(line.slice(series.length + 1));
    };
    expect(value('hradba_queries_total{transport="udp",outcome="sinkholed"}')).toBeGreaterThan(100);
    expect(value('hradba_queries_total{transport="tcp",outcome="forwarded"}')).toBeGreaterThanOrEqual(1);
    expect(value('hradba_sinkholed_total{vendor="testvendor",list="testvendor"}')).toBeGreaterThan(100);
    // About 200 allowed queries were answered, but the cache sent only the first of each name upstream.
    expect(value('hradba_queries_total{transport="udp",outcome="forwarded"}')).toBeGreaterThan(100);
    const upstreamAnswers = value(`hradba_upstream_response_seconds_count{upstream="127.0.0.1:${NSD_PORT}"}`);
    expect(upstreamAnswers).toBeGreaterThanOrEqual(1);
    expect(upstreamAnswers).toBeLessThan(10);
    expect(value('hradba_reloads_total{result="ok"}')).toBe(1);
    expect(value('hradba_policy_version')).toBe(2);
    expect(value('hradba_list_entries{list="testvendor"}')).toBe(3);
    // Bounded labels: no query name and no client address ever becomes a label.
    expect(text).not.toMatch(/banned-vendor|example\.test|client=/);

    const ready = await admin('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.text()).toMatch(/^ready/);
    expect((await admin('/healthz')).status).toBe(200);
  });

  it('reports healthy from its HEALTHCHECK (a real DNS query inside the container)', async () => {
    // podman runs the check when asked; Docker on its own schedule (every 15 s), so wait up to a minute.
    const status = await retry('HEALTHCHECK healthy', 60, 1000, async () => {
      const s = await healthcheck(id);
      return s === 'healthy' ? s : undefined;
    });
    expect(status).toBe('healthy');
  });

  it('refuses to start on a list the node user cannot read: exit 78 and one line saying what to do', async () => {
    const bad = makeTempDir('container-bad');
    try {
      chmodSync(bad, 0o755);
      writeFileSync(join(bad, 'hradba.yaml'), stringify({ listen: ['0.0.0.0:53'], upstreams: [`127.0.0.1:${NSD_PORT}`], lists: [{ file: TEST_LIST }] }));
      chmodSync(join(bad, 'hradba.yaml'), 0o644);
      // Copied in by root with a private mode: the usual mistake.
      writeFileSync(join(bad, TEST_LIST), testvendorList());
      chmodSync(join(bad, TEST_LIST), 0o600);
      const r = await container(['run', '--rm', '--read-only', '--network=none', '-v', `${bad}:/etc/hradba:ro`, IMAGE, 'serve', '--config', '/etc/hradba/hradba.yaml'], {
        allowFail: true,
      });
      expect(r.code).toBe(78);
      expect(r.stderr).toContain(`hradba: cannot start: /etc/hradba/${TEST_LIST}: cannot read list: permission denied: make it readable by the user hradba runs as (uid 1000)\n`);
    } finally {
      removeTempDir(bad);
    }
  });

  it('stops on SIGTERM with exit code 0, and the last sinkhole line reaches the log', async () => {
    const last = parseDig((await dig({ port: dnsPort }, ['last-before-stop.banned-vendor.test', 'A'])).stdout);
    expect(last.status).toBe('NXDOMAIN');
    await container(['kill', '-s', 'TERM', id]);
    const waited = await container(['wait', id], { timeoutMs: 30_000 });
    expect(waited.stdout.trim()).toBe('0');
    const lines = await logs();
    const sinkholes = lines.filter((l) => l['event'] === 'sinkhole');
    expect(sinkholes.at(-1)?.['qname']).toBe('last-before-stop.banned-vendor.test');
    const events = lines.map((l) => l['event']).filter((e) => e !== undefined);
    expect(events.at(-1)).toBe('shutdown');
    expect(events).toContain('shutdown-requested');
  });
});
