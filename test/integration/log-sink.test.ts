/**
 * The log sink under faults, through the running process: a full disk (a real 1 MiB tmpfs), stdout and stderr on one
 * pipe that closes, and rotation by mv + SIGHUP, by rm, and by copytruncate. DNS goes on answering, nothing is lost
 * without being counted, and SIGTERM ends the process within shutdown.grace.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, truncateSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { stopChild, trackChild } from '../helpers/child-registry.js';
import { buildQuery, createUdpClient, parseHeader, RCODE } from '../helpers/dns-client.js';
import { freePort } from '../helpers/free-port.js';
import { series } from '../helpers/metrics-text.js';
import { NODE_BIN, REPO_ROOT, requireBuiltCli } from '../helpers/paths.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';
import { delay, retry } from '../helpers/wait.js';

type Line = Record<string, unknown>;

function linesOf(file: string): Line[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
}

const get = (port: number, path: string): Promise<Response> => fetch(`http://127.0.0.1:${port}${path}`);

interface Running {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly adminPort: number;
  readonly dir: string;
  readonly configFile: string;
  stderr(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Writes the config (log.file set, admin on) and spawns `hradba serve`; `shell` runs it inside a shell command line instead. */
async function start(dir: string, log: Record<string, unknown>, shell?: (cmd: string) => string): Promise<Running> {
  const cli = requireBuiltCli();
  const port = await freePort();
  const adminPort = await freePort();
  // Only banned names are asked: the upstream is never contacted.
  const unused = await freePort();
  writeFileSync(join(dir, TEST_LIST), testvendorList());
  const configFile = join(dir, 'hradba.yaml');
  const config = testConfig(unused, { listen: [`127.0.0.1:${port}`], log, admin: { enabled: true, listen: `127.0.0.1:${adminPort}` }, shutdown: { grace: '1s' } });
  config['lists'] = [{ file: join(dir, TEST_LIST) }];
  writeFileSync(configFile, stringify(config));
  const command = `"${NODE_BIN}" "${cli}" serve --config "${configFile}"`;
  const proc = shell === undefined ? spawn(NODE_BIN, [cli, 'serve', '--config', configFile], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }) : spawn('bash', ['-c', shell(command)], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  trackChild(proc);
  let stderr = '';
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (c: string) => (stderr += c));
  proc.stdout?.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => proc.once('close', (code, signal) => done({ code, signal })));
  await retry('the admin endpoint', 100, 100, async () => ((await get(adminPort, '/healthz').catch(() => null))?.status === 200 ? true : undefined));
  return { proc, port, adminPort, dir, configFile, stderr: () => stderr, exited };
}

/** Sends `n` sinkholed queries (`prefix`<i>.banned-vendor.test), 50 at a time; returns how many got NXDOMAIN. */
async function sinkholed(port: number, prefix: string, n: number): Promise<number> {
  const client = await createUdpClient(port);
  let ok = 0;
  try {
    for (let i = 0; i < n; i += 50) {
      const batch = Array.from({ length: Math.min(50, n - i) }, (_, k) => client.exchange(buildQuery({ id: (i + k) % 65_536, name: `${prefix}${i + k}.banned-vendor.test` }), 2000));
      for (const reply of await Promise.all(batch)) if (reply !== null && parseHeader(reply).rcode === RCODE.NXDOMAIN) ok++;
    }
  } finally {
    await client.close();
  }
  return ok;
}

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> => Promise.race([p, delay(ms).then(() => 'timeout' as const)]);

describe('a full log disk (1 MiB tmpfs)', () => {
  let dir: string;
  let mnt: string;
  let hradba: Running;

  beforeAll(async () => {
    dir = makeTempDir('hradba-logfull');
    mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    // Most of the disk is taken already; freeing this file later lets the log write again.
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(700 * 1024, 1));
    hradba = await start(dir, { file: join(mnt, 'hradba.log'), maxBacklog: 500 });
  });

  afterAll(async () => {
    if (hradba !== undefined) await stopChild(hradba.proc, 'SIGKILL', 2000);
    try {
      execFileSync('umount', [mnt]);
    } catch {
      // not mounted (beforeAll failed before mount)
    }
    removeTempDir(dir);
  });

  it('keeps answering, bounds the backlog, counts and summarises what it drops, reports it on /readyz, and recovers when space is freed', async () => {
    // About 2,000 lines of ~450 bytes: several times what is left on the disk plus the backlog of 500.
    expect(await sinkholed(hradba.port, 'full', 2000)).toBe(2000);
    const metrics = await retry('dropped lines in /metrics', 50, 100, async () => {
      const text = await (await get(hradba.adminPort, '/metrics')).text();
      return series(text, 'hradba_log_dropped_total') > 0 ? text : undefined;
    });
    expect(series(metrics, 'hradba_log_sink_degraded')).toBe(1);
    expect(series(metrics, 'hradba_log_backlog_lines')).toBeLessThanOrEqual(500);
    const written = series(metrics, 'hradba_log_lines_written_total');
    const dropped = series(metrics, 'hradba_log_dropped_total');
    expect(written + dropped + series(metrics, 'hradba_log_backlog_lines')).toBeGreaterThanOrEqual(2000);
    const ready = await get(hradba.adminPort, '/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.text()).toMatch(/log sink degraded: ENOSPC/);
    // DNS is untouched by the full disk.
    expect(await sinkholed(hradba.port, 'still', 10)).toBe(10);
    // One report of the fault and one summary per interval, not one line per failed write.
    const summary = await retry('a dropped-lines summary on stderr', 80, 100, async () => (/log lines dropped since/.test(hradba.stderr()) ? hradba.stderr() : undefined));
    expect(summary).toMatch(/writing the log failed: .*ENOSPC/);
    expect(summary.split('\n').filter((l) => l !== '').length).toBeLessThan(10);

    // Space again: the held backlog is written, and the log itself says how many lines it lost.
    rmSync(join(mnt, 'filler'));
    const file = join(mnt, 'hradba.log');
    const told = await retry('a log-dropped line in the log', 80, 100, async () => linesOf(file).find((l) => l['event'] === 'log-dropped'));
    expect(Number(told['dropped'])).toBeGreaterThan(0);
    expect(linesOf(file).some((l) => l['event'] === 'log-recovered' && l['fault'] === 'ENOSPC')).toBe(true);
    const qnames = new Set(linesOf(file).filter((l) => l['event'] === 'sinkhole').map((l) => String(l['qname'])));
    // Every line written is whole JSON (linesOf parses each); written + dropped covers every sinkholed query.
    expect(qnames.size + Number(told['droppedTotal'])).toBeGreaterThanOrEqual(2000);
  });

  it('SIGTERM with the disk full again exits 0 within shutdown.grace', async () => {
    writeFileSync(join(mnt, 'filler2'), Buffer.alloc(0));
    // Fill what is left.
    try {
      writeFileSync(join(mnt, 'filler2'), Buffer.alloc(1024 * 1024, 1));
    } catch {
      // ENOSPC: the disk is full, as wanted
    }
    expect(await sinkholed(hradba.port, 'again', 600)).toBe(600);
    await retry('the fault seen', 50, 100, async () => (series(await (await get(hradba.adminPort, '/metrics')).text(), 'hradba_log_sink_degraded') === 1 ? true : undefined));
    hradba.proc.kill('SIGTERM');
    // grace 1 s (+ 0.5 s for the last lines): well inside 6 s; before, the exit flush retried ENOSPC for ever.
    const result = await within(hradba.exited, 6000);
    expect(result).toEqual({ code: 0, signal: null });
    expect(hradba.stderr()).toMatch(/log lines dropped since .*at close deadline/);
  });
});

describe('stdout and stderr on one pipe that closes (serve 2>&1 | head -c 3000)', () => {
  let dir: string;
  let hradba: Running;

  beforeAll(async () => {
    dir = makeTempDir('hradba-pipe');
    const out = join(dir, 'head.out');
    // pipefail: the pipeline's status is hradba's own when it fails (head itself exits 0).
    hradba = await start(dir, { file: null }, (cmd) => `set -o pipefail; ${cmd} 2>&1 | head -c 3000 > "${out}"`);
  });

  afterAll(async () => {
    if (hradba !== undefined) await stopChild(hradba.proc, 'SIGKILL', 2000);
    removeTempDir(dir);
  });

  it('keeps answering after the reader is gone, counts the lost lines, reports the sink on /readyz, and exits 0 on SIGTERM', async () => {
    const head = join(dir, 'head.out');
    // The first lines fill head's 3000 bytes; head exits and the pipe closes.
    expect(await sinkholed(hradba.port, 'first', 20)).toBe(20);
    await delay(300);
    expect(await sinkholed(hradba.port, 'later', 40)).toBe(40);
    const text = await retry('dropped lines in /metrics', 50, 100, async () => {
      const t = await (await get(hradba.adminPort, '/metrics')).text();
      return series(t, 'hradba_log_dropped_total') > 0 ? t : undefined;
    });
    expect(series(text, 'hradba_log_sink_degraded')).toBe(1);
    const ready = await get(hradba.adminPort, '/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.text()).toMatch(/log sink degraded: EPIPE \(destination gone\)/);
    expect(readFileSync(head).length).toBe(3000);
    const pid = Number(/"pid":(\d+)/.exec(readFileSync(head, 'utf8'))?.[1]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGTERM');
    expect(await within(hradba.exited, 6000)).toEqual({ code: 0, signal: null });
  });
});

describe('rotation', () => {
  let dir: string;
  let file: string;
  let hradba: Running;

  beforeAll(async () => {
    dir = makeTempDir('hradba-rotate');
    file = join(dir, 'logs', 'hradba.log');
    hradba = await start(dir, { file });
  });

  afterAll(async () => {
    if (hradba !== undefined) await stopChild(hradba.proc, 'SIGTERM', 5000);
    removeTempDir(dir);
  });

  const sinkholeLine = (f: string, qname: string): Line | undefined => linesOf(f).find((l) => l['event'] === 'sinkhole' && l['qname'] === qname);

  it('mv + SIGHUP: later lines go to a new file at the path, none to the moved one', async () => {
    expect(await sinkholed(hradba.port, 'before-mv', 1)).toBe(1);
    await retry('the line before mv', 50, 100, async () => sinkholeLine(file, 'before-mv0.banned-vendor.test'));
    renameSync(file, `${file}.1`);
    hradba.proc.kill('SIGHUP');
    await retry('the reopened file', 50, 100, async () => linesOf(file).find((l) => l['event'] === 'log-reopened'));
    expect(await sinkholed(hradba.port, 'after-mv', 1)).toBe(1);
    await retry('the line after mv in the new file', 50, 100, async () => sinkholeLine(file, 'after-mv0.banned-vendor.test'));
    expect(sinkholeLine(`${file}.1`, 'after-mv0.banned-vendor.test')).toBeUndefined();
    expect(sinkholeLine(`${file}.1`, 'before-mv0.banned-vendor.test')).toBeDefined();
  });

  it('rm without a signal: the inode check opens a new file within a few seconds', async () => {
    rmSync(file);
    const reopened = await retry('the file recreated', 100, 100, async () => linesOf(file).find((l) => l['event'] === 'log-reopened' && l['reason'] === 'deleted'));
    expect(reopened).toBeDefined();
    expect(await sinkholed(hradba.port, 'after-rm', 1)).toBe(1);
    await retry('the line after rm', 50, 100, async () => sinkholeLine(file, 'after-rm0.banned-vendor.test'));
  });

  it('copytruncate: later lines start at the beginning of the truncated file (no hole), the copy keeps the earlier ones', async () => {
    copyFileSync(file, `${file}.2`);
    truncateSync(file, 0);
    expect(await sinkholed(hradba.port, 'after-truncate', 1)).toBe(1);
    await retry('the line after truncate', 50, 100, async () => sinkholeLine(file, 'after-truncate0.banned-vendor.test'));
    const bytes = readFileSync(file);
    expect(bytes[0]).toBe('{'.charCodeAt(0));
    expect(bytes.includes(0)).toBe(false);
    expect(sinkholeLine(`${file}.2`, 'after-rm0.banned-vendor.test')).toBeDefined();
  });
});

describe('rotation by logrotate itself', () => {
  let dir: string;
  let file: string;
  let hradba: Running;
  const logrotate = '/usr/sbin/logrotate';

  beforeAll(async () => {
    if (!existsSync(logrotate)) throw new Error('logrotate is missing: run test/setup/install-peers.sh');
    dir = makeTempDir('hradba-logrotate');
    file = join(dir, 'logs', 'hradba.log');
    hradba = await start(dir, { file });
  });

  afterAll(async () => {
    if (hradba !== undefined) await stopChild(hradba.proc, 'SIGTERM', 5000);
    removeTempDir(dir);
  });

  const sinkholeLine = (f: string, qname: string): Line | undefined => linesOf(f).find((l) => l['event'] === 'sinkhole' && l['qname'] === qname);
  const rotate = (name: string, body: string): void => {
    const conf = join(dir, `${name}.conf`);
    writeFileSync(conf, `${file} {\n    rotate 3\n    missingok\n${body}}\n`);
    execFileSync(logrotate, ['-f', '-s', join(dir, `${name}.state`), conf]);
  };

  it('create + postrotate SIGHUP (the README snippet): new lines in the new file, none lost in between', async () => {
    expect(await sinkholed(hradba.port, 'lr-before', 1)).toBe(1);
    await retry('the line before rotation', 50, 100, async () => sinkholeLine(file, 'lr-before0.banned-vendor.test'));
    rotate('create', `    create 0640 root root\n    postrotate\n        kill -HUP ${hradba.proc.pid}\n    endscript\n`);
    await retry('the reopened file', 50, 100, async () => linesOf(file).find((l) => l['event'] === 'log-reopened'));
    expect(await sinkholed(hradba.port, 'lr-after', 1)).toBe(1);
    await retry('the line after rotation', 50, 100, async () => sinkholeLine(file, 'lr-after0.banned-vendor.test'));
    expect(sinkholeLine(`${file}.1`, 'lr-before0.banned-vendor.test')).toBeDefined();
    expect(sinkholeLine(`${file}.1`, 'lr-after0.banned-vendor.test')).toBeUndefined();
  });

  it('copytruncate: lines go on in the truncated file from its start', async () => {
    rotate('copytruncate', '    copytruncate\n');
    expect(await sinkholed(hradba.port, 'lr-truncated', 1)).toBe(1);
    await retry('the line after copytruncate', 50, 100, async () => sinkholeLine(file, 'lr-truncated0.banned-vendor.test'));
    const bytes = readFileSync(file);
    expect(bytes[0]).toBe('{'.charCodeAt(0));
    expect(bytes.includes(0)).toBe(false);
    expect(sinkholeLine(`${file}.1`, 'lr-after0.banned-vendor.test')).toBeDefined();
  });
});
