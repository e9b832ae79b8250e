/**
 * The test upstream for the container: a real NSD serving the fixture zones on 127.0.0.1 INSIDE the container's
 * network namespace, so hradba in the container forwards over its own loopback and no packet leaves the namespace.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopChild, trackChild } from '../helpers/child-registry.js';
import { parseDig } from '../helpers/dig.js';
import { fixtureZones } from '../helpers/nsd.js';
import { requireTool } from '../helpers/paths.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { retry } from '../helpers/wait.js';
import { runInNetns, spawnInNetns } from './container-engine.js';

export interface NetnsNsd {
  output(): string;
  stop(): Promise<void>;
}

/** Starts NSD in the namespace of `pid` on 127.0.0.1:`port` and waits until it answers there. */
export async function startNsdInNetns(pid: number, port: number): Promise<NetnsNsd> {
  const nsdBin = requireTool('nsd');
  const digBin = requireTool('dig');
  const zones = fixtureZones();
  const dir = makeTempDir('nsd-netns');
  const q = (s: string): string => `"${s}"`;
  writeFileSync(
    join(dir, 'nsd.conf'),
    [
      'server:',
      `  ip-address: 127.0.0.1@${port}`,
      `  port: ${port}`,
      '  username: ""',
      '  chroot: ""',
      `  zonesdir: ${q(dir)}`,
      `  pidfile: ${q(join(dir, 'nsd.pid'))}`,
      `  xfrdfile: ${q(join(dir, 'xfrd.state'))}`,
      `  xfrdir: ${q(dir)}`,
      `  zonelistfile: ${q(join(dir, 'zone.list'))}`,
      '  database: ""',
      '  server-count: 1',
      '  verbosity: 1',
      'remote-control:',
      '  control-enable: no',
      ...Object.keys(zones).flatMap((zone) => ['zone:', `  name: ${q(zone)}`, `  zonefile: ${q(`${zone}.zone`)}`]),
      '',
    ].join('\n'),
  );
  for (const [zone, text] of Object.entries(zones)) writeFileSync(join(dir, `${zone}.zone`), text);

  const child: ChildProcess = spawnInNetns(pid, nsdBin, ['-d', '-c', join(dir, 'nsd.conf')]);
  trackChild(child, 'SIGTERM');
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const nsd: NetnsNsd = {
    output: () => output,
    async stop() {
      await stopChild(child, 'SIGTERM', 5000);
      removeTempDir(dir);
    },
  };
  try {
    await retry(`NSD in the container's namespace on 127.0.0.1:${port}`, 50, 100, async () => {
      if (child.exitCode !== null) throw new Error(`nsd exited early:\n${output}`);
      const r = await runInNetns(pid, digBin, ['@127.0.0.1', '-p', String(port), 'example.test', 'SOA', '+tries=1', '+timeout=1']);
      return parseDig(r.stdout).status === 'NOERROR' ? true : undefined;
    });
  } catch (error) {
    await nsd.stop();
    throw new Error(`${(error as Error).message}\nnsd output:\n${output}`);
  }
  return nsd;
}
