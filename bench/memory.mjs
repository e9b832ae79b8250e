/**
 * Memory under real traffic: RSS of hradba (the shipped config, one thread, run as the deployment files run it)
 * and of Unbound (the same cache budget) before and after forwarding N distinct names at a fixed rate to an NSD
 * upstream whose wildcard zone answers every name. Used by bench.mjs (--memory) and on its own:
 *
 *   node bench/memory.mjs [--names 100000] [--qps 5000] [--servers hradba,unbound] [--cache on|off] [--workers 1]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { waitFor } from './dns-client.mjs';
import { ROOT, deploymentEnv, freePort, launch, rssMiB, startNsd, stopProcess, unboundConf } from './servers.mjs';

const say = (s) => process.stderr.write(`${s}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The shipped config with only what a local run must change: addresses, list paths, test names forwarded, the threads. */
function hradbaConfig(dir, port, upstreamPort, cache, workers) {
  const shipped = join(ROOT, 'config', 'hradba.yaml');
  const config = parse(readFileSync(shipped, 'utf8'));
  config.listen = [`127.0.0.1:${port}`];
  config.upstreams = [`127.0.0.1:${upstreamPort}`];
  // The wildcard zone is under test. (RFC 6761), which hradba answers itself unless told to forward it.
  config.forward = { ...config.forward, testNames: true };
  config.lists = config.lists.map((l) => ({ ...l, file: resolve(join(ROOT, 'config'), l.file) }));
  config.workers = workers;
  config.cache = { ...config.cache, enabled: cache };
  const file = join(dir, 'hradba.yaml');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return { file, maxBytes: config.cache.maxBytes };
}

/** How each server is started for the memory run; Unbound's message and RRset caches share hradba's byte budget. */
const STARTERS = {
  hradba(dir, port, upstreamPort, opts) {
    const { file, maxBytes } = hradbaConfig(dir, port, upstreamPort, opts.cache, opts.workers);
    const proc = launch(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'serve', '--config', file], { env: { ...process.env, ...deploymentEnv() } });
    return { ...proc, cacheBytes: opts.cache ? maxBytes : 0 };
  },
  unbound(dir, port, upstreamPort, opts) {
    const half = Math.floor((opts.cache ? 64 : 1) / 2);
    writeFileSync(join(dir, 'unbound.conf'), unboundConf(dir, port, upstreamPort, { msgCache: `${Math.max(half, 1)}m`, rrsetCache: `${Math.max(half, 1)}m` }));
    return { ...launch('/usr/sbin/unbound', ['-d', '-c', join(dir, 'unbound.conf')]), cacheBytes: opts.cache ? 64 * 1024 * 1024 : 0 };
  },
};

/** CPU seconds a process has used (user + system), from /proc: the cost of the load, whatever else runs on the machine. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** dnsperf sends every name of `file` once at `qps` (bounded in time) and returns the counts it reports. */
function sendOnce(port, file, qps, limitS) {
  const a = ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-n', '1', '-Q', String(qps), '-l', String(limitS), '-c', '4', '-q', '500', '-t', '2'];
  return new Promise((resolveRun, reject) => {
    const child = spawn('dnsperf', a, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c.toString()));
    child.stderr.on('data', (c) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), (limitS + 20) * 1000);
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      const num = (re) => Number(re.exec(out)?.[1] ?? NaN);
      resolveRun({ sent: num(/Queries sent:\s+(\d+)/), completed: num(/Queries completed:\s+(\d+)/), lost: num(/Queries lost:\s+(\d+)/), noerror: num(/NOERROR (\d+)/) });
    });
  });
}

/**
 * memoryRun starts one server, reads its idle RSS, forwards `names` distinct names at `qps`, and reads RSS again
 * after the load and after a pause (what stays). MiB throughout.
 */
export async function memoryRun(kind, { work, nsdPort, names = 100_000, qps = 5000, cache = true, workers = 1 }) {
  const dir = join(work, `mem-${kind}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const qfile = join(dir, 'names.txt');
  writeFileSync(qfile, Array.from({ length: names }, (_, i) => `n${i}.m${Date.now() % 100000}.bench.test A\n`).join(''));
  const port = await freePort();
  const proc = STARTERS[kind](dir, port, nsdPort, { cache, workers });
  const alive = () => proc.child.exitCode === null && proc.child.signalCode === null;
  try {
    const ready = await waitFor(port, 'ready.bench.test', (rc) => rc === 'NOERROR', 60_000, alive);
    if (ready === null) throw new Error(`${kind} did not answer:\n${proc.output()}`);
    await sleep(2000);
    const idle = rssMiB(proc.child.pid);
    const cpu0 = cpuSeconds(proc.child.pid);
    const load = await sendOnce(port, qfile, qps, Math.ceil(names / qps) * 3 + 10);
    const cpu = cpuSeconds(proc.child.pid) - cpu0;
    const after = rssMiB(proc.child.pid);
    await sleep(5000);
    const settled = rssMiB(proc.child.pid);
    if (!alive()) throw new Error(`${kind} exited during the run:\n${proc.output()}`);
    return { kind, workers: kind === 'hradba' ? workers : 1, names, qps, cacheMiB: proc.cacheBytes / 1048576, idle, after, settled, load, cpu };
  } finally {
    await stopProcess(proc.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const f0 = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : Math.round(v).toLocaleString('en-US'));

/** The markdown table of memory runs: growth over idle, and that growth as a multiple of the cache budget. */
export function memoryTable(rows) {
  return [
    `### RSS after ${f0(rows[0]?.names)} distinct forwarded names at ${f0(rows[0]?.qps)} q/s`,
    '',
    '| server | threads | cache budget MiB | idle RSS MiB | RSS after load MiB | RSS 5 s later MiB | growth over idle MiB | growth ÷ cache budget | answered NOERROR | CPU µs per query |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const growth = Math.max(r.after, r.settled) - r.idle;
      const ratio = r.cacheMiB > 0 ? `${(growth / r.cacheMiB).toFixed(2)}x` : '–';
      return `| ${r.kind} | ${r.workers} | ${f0(r.cacheMiB)} | ${f0(r.idle)} | ${f0(r.after)} | ${f0(r.settled)} | ${f0(growth)} | ${ratio} | ${f0(r.load.noerror)} / ${f0(r.load.sent)} | ${f0((r.cpu / r.load.sent) * 1e6)} |`;
    }),
    '',
  ].join('\n');
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      names: { type: 'string', default: '100000' },
      qps: { type: 'string', default: '5000' },
      servers: { type: 'string', default: 'hradba,unbound' },
      cache: { type: 'string', default: 'on' },
      workers: { type: 'string', default: '1' },
    },
  });
  const names = Math.max(1000, Math.min(1_000_000, Number(args.names)));
  const qps = Math.max(100, Math.min(50_000, Number(args.qps)));
  const work = mkdtempSync(join(tmpdir(), 'hradba-memory-'));
  const nsd = await startNsd(join(work, 'nsd'));
  try {
    const rows = [];
    for (const kind of args.servers.split(',').map((s) => s.trim())) {
      if (!(kind in STARTERS)) throw new Error(`unknown server '${kind}' (known: ${Object.keys(STARTERS).join(', ')})`);
      say(`memory: ${kind}, ${names} names at ${qps} q/s`);
      rows.push(await memoryRun(kind, { work, nsdPort: nsd.port, names, qps, cache: args.cache !== 'off', workers: Math.max(1, Math.min(8, Number(args.workers))) }));
    }
    process.stdout.write(`${memoryTable(rows)}\n`);
  } finally {
    await nsd.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    say(`memory bench failed: ${err.stack ?? err}`);
    process.exitCode = 1;
  });
}
