/**
 * The lossy-upstream row of `npm run bench -- --lossy SECONDS`: hradba and Unbound, each forwarding distinct names
 * at a fixed rate to one NSD with response rate limiting on (NSD's default 200 answers a second per client network,
 * every second one over the limit sent truncated, the rest dropped), as agency and public resolvers rate-limit.
 * Counts what the client got: answers, SERVFAIL and queries never answered.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './dns-client.mjs';
import { KINDS, ROOT, freePort, startNsd, stopProcess } from './servers.mjs';

const NODE = process.execPath;
/** NSD's defaults for rrl-ratelimit and rrl-slip. */
const RRL = { ratelimit: 200, slip: 2 };

/** dnsperf at a fixed rate; a query without an answer after `timeoutS` (a stub's usual 5 s) is lost. */
function dnsperfAtRate(port, file, seconds, qps, timeoutS = 5) {
  const a = ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(seconds), '-Q', String(qps), '-T', '1', '-c', '8', '-q', '20000', '-t', String(timeoutS)];
  return new Promise((resolve, reject) => {
    const child = spawn('dnsperf', a, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c.toString()));
    child.stderr.on('data', (c) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + timeoutS + 20) * 1000);
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      const num = (re) => {
        const m = re.exec(out);
        return m ? Number(m[1]) : 0;
      };
      resolve({
        sent: num(/Queries sent:\s+(\d+)/),
        lost: num(/Queries lost:\s+(\d+)/),
        noerror: num(/NOERROR (\d+)/),
        servfail: num(/SERVFAIL (\d+)/),
        raw: out,
      });
    });
  });
}

/** hradba with the shipped forwarding settings (attempt time, deadline, socket pool, pool health), one thread. */
function startHradba(dir, port, upstreamPort) {
  const config = {
    listen: [`127.0.0.1:${port}`],
    upstreams: [`127.0.0.1:${upstreamPort}`],
    // bench.test is under test. (RFC 6761), answered locally unless forwarded on purpose.
    forward: { testNames: true },
    access: { allow: ['127.0.0.0/8'], action: 'refuse' },
    lists: [],
    log: { level: 'info', file: join(dir, 'hradba.log'), queries: false },
    workers: 1,
  };
  writeFileSync(join(dir, 'hradba.yaml'), JSON.stringify(config, null, 2));
  const child = spawn(NODE, [join(ROOT, 'dist', 'cli', 'main.js'), 'serve', '--config', join(dir, 'hradba.yaml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr.on('data', (c) => (output = (output + c.toString()).slice(-4000)));
  return { child, output: () => output, healthLines: () => countHealthLines(join(dir, 'hradba.log')) };
}

function countHealthLines(file) {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"event":"upstream-down"') || l.includes('"event":"upstream-up"')).length;
  } catch {
    return 0;
  }
}

function startUnbound(dir, port, upstreamPort) {
  KINDS.unbound.write(dir, []);
  const p = KINDS.unbound.start(dir, port, upstreamPort);
  return { child: p.child, output: p.output, healthLines: () => null };
}

/** Starts a server and waits for its first answer; a new port when it could not bind the one freePort found free for UDP only. */
async function startReady(kind, start, dir, upstreamPort) {
  for (let tries = 1; ; tries++) {
    const port = await freePort();
    const server = start(dir, port, upstreamPort);
    const alive = () => server.child.exitCode === null && server.child.signalCode === null;
    if ((await waitFor(port, `ready.${kind}.bench.test`, (rc) => rc === 'NOERROR', 30_000, alive)) !== null) return { port, server };
    const exited = !alive();
    await stopProcess(server.child);
    if (!exited || tries >= 3) throw new Error(`${kind} did not answer through the rate-limited NSD:\n${server.output()}`);
  }
}

const pct = (n, d) => (d > 0 ? `${((n / d) * 100).toFixed(2)}%` : '–');
const int = (v) => (v === null || v === undefined ? '–' : Math.round(v).toLocaleString('en-US'));

/** Runs the row for hradba and Unbound (`seconds` each at `qps` distinct names a second) and returns its markdown lines. */
export async function lossyUpstreamSection({ work, seconds, qps = 3000, say }) {
  const dir = join(work, 'lossy');
  mkdirSync(dir, { recursive: true });
  const nsd = await startNsd(join(dir, 'nsd'), { rrlRatelimit: RRL.ratelimit, rrlSlip: RRL.slip });
  const results = [];
  try {
    for (const [kind, start] of [
      ['hradba', startHradba],
      ['unbound', startUnbound],
    ]) {
      const sdir = join(dir, kind);
      mkdirSync(sdir, { recursive: true });
      const { port, server } = await startReady(kind, start, sdir, nsd.port);
      const names = Array.from({ length: Math.ceil(qps * seconds * 1.2) }, (_, i) => `l${i}.${kind}.bench.test A\n`);
      const file = join(sdir, 'queries.txt');
      writeFileSync(file, names.join(''));
      say(`  lossy upstream: ${kind}, ${qps} distinct names a second for ${seconds} s`);
      const r = await dnsperfAtRate(port, file, seconds, qps);
      results.push({ kind, ...r, healthLines: server.healthLines() });
      await stopProcess(server.child);
      // A fresh second for NSD's rate buckets before the next server.
      await new Promise((res) => setTimeout(res, 2000));
    }
  } finally {
    await nsd.stop();
  }
  const unbound = results.find((r) => r.kind === 'unbound');
  return [
    `### Lossy upstream: one NSD with response rate limiting (rrl-ratelimit ${RRL.ratelimit}, rrl-slip ${RRL.slip}), ${qps.toLocaleString('en-US')} distinct names/s for ${seconds} s`,
    '',
    '| server | sent | answered (NOERROR) | SERVFAIL | lost (no answer in 5 s) | SERVFAIL + lost | answered ÷ Unbound | health log lines |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.kind} | ${int(r.sent)} | ${int(r.noerror)} | ${int(r.servfail)} | ${int(r.lost)} | ${pct(r.servfail + r.lost, r.sent)} | ${unbound ? pct(r.noerror, unbound.noerror) : '–'} | ${r.healthLines ?? '–'} |`,
    ),
    '',
  ];
}
