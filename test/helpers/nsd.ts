/** Starts a real NSD on loopback serving the test zones: the authoritative upstream hradba forwards to in the integration tests. */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopChild, trackChild } from './child-registry.js';
import { dig, parseDig } from './dig.js';
import { freePort, ipv6LoopbackWorks } from './free-port.js';
import { FIXTURES_DIR, requireTool } from './paths.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';
import { retry } from './wait.js';

/** The zones every test NSD serves unless told otherwise (files in test/fixtures/integration/). */
export const DEFAULT_ZONES = ['example.test', 'banned-vendor.test', 'example.net'] as const;

/** Zone name → zone file text. */
export function fixtureZones(): Record<string, string> {
  return Object.fromEntries(DEFAULT_ZONES.map((zone) => [zone, readFileSync(join(FIXTURES_DIR, `${zone}.zone`), 'utf8')]));
}

export interface NsdServer {
  readonly port: number;
  /** Also listening on ::1 with the same port. */
  readonly ipv6: boolean;
  /** NSD's stderr so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const quote = (s: string): string => `"${s.replace(/"/g, '\\"')}"`;

/**
 * Starts `nsd -d` with the given zones (default: the fixture zones) and waits until it answers. `rrlRatelimit`
 * sets NSD's response rate limit per client network (0: off, for load tests; left out: NSD's default).
 */
export async function startNsd(opts: { zones?: Record<string, string>; rrlRatelimit?: number } = {}): Promise<NsdServer> {
  const nsdBin = requireTool('nsd');
  requireTool('dig');
  const zones = opts.zones ?? fixtureZones();
  const ipv6 = await ipv6LoopbackWorks();
  const port = await freePort({ ipv6 });
  const dir = makeTempDir('nsd');

  const addresses = [`127.0.0.1@${port}`, ...(ipv6 ? [`::1@${port}`] : [])];
  const conf = [
    'server:',
    ...addresses.map((a) => `  ip-address: ${a}`),
    `  port: ${port}`,
    // Empty username: no privilege drop, so NSD runs the same as root or as a user.
    '  username: ""',
    '  chroot: ""',
    `  zonesdir: ${quote(dir)}`,
    `  pidfile: ${quote(join(dir, 'nsd.pid'))}`,
    `  xfrdfile: ${quote(join(dir, 'xfrd.state'))}`,
    `  xfrdir: ${quote(dir)}`,
    `  zonelistfile: ${quote(join(dir, 'zone.list'))}`,
    '  database: ""',
    '  server-count: 1',
    '  verbosity: 1',
    '  hide-version: yes',
    ...(opts.rrlRatelimit === undefined ? [] : [`  rrl-ratelimit: ${opts.rrlRatelimit}`]),
    'remote-control:',
    '  control-enable: no',
    ...Object.keys(zones).flatMap((zone) => ['zone:', `  name: ${quote(zone)}`, `  zonefile: ${quote(`${zone}.zone`)}`]),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'nsd.conf'), conf);
  for (const [zone, text] of Object.entries(zones)) writeFileSync(join(dir, `${zone}.zone`), text);

  const child = spawn(nsdBin, ['-d', '-c', join(dir, 'nsd.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child, 'SIGTERM');
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const server: NsdServer = {
    port,
    ipv6,
    output: () => output,
    async stop() {
      await stopChild(child, 'SIGTERM', 5000);
      removeTempDir(dir);
    },
  };

  const firstZone = Object.keys(zones)[0];
  if (firstZone === undefined) throw new Error('startNsd needs at least one zone');
  try {
    await retry(`NSD on port ${port} answering SOA ${firstZone}`, 50, 100, async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nsd exited early:\n${output}`);
      const run = await dig({ port }, [firstZone, 'SOA', '+timeout=1']);
      return parseDig(run.stdout).status === 'NOERROR' ? true : undefined;
    });
  } catch (error) {
    await server.stop();
    throw new Error(`${(error as Error).message}\nnsd output:\n${output}`);
  }
  return server;
}
