/**
 * What an orchestrator sees when hradba cannot start: the exit code, and one stderr line saying what is wrong and
 * what to do. Run against the real process; the permission cases run it as an unprivileged user (setpriv).
 */
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from '../helpers/free-port.js';
import { CLI_JS, NODE_BIN, REPO_ROOT, requireBuiltCli } from '../helpers/paths.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `hradba serve --config FILE` (optionally as uid/gid 65534) until it exits, bounded by 15 s. */
function serve(configFile: string, opts: { asNobody?: boolean } = {}): Promise<Exit> {
  requireBuiltCli();
  const args = [CLI_JS, 'serve', '--config', configFile];
  const [file, argv] = opts.asNobody === true ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', NODE_BIN, ...args]] : [NODE_BIN, args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv as string[], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs as root, and the kernel keeps ports below 1024 privileged: the only setup where EACCES on port 53 can be shown. */
const canDropPrivileges = process.getuid?.() === 0;
const port53Privileged = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim()) > 53;

let dir: string;

beforeAll(() => {
  dir = makeTempDir('exit-codes');
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, TEST_LIST), testvendorList());
  chmodSync(join(dir, TEST_LIST), 0o644);
});

afterAll(() => {
  removeTempDir(dir);
});

function writeConfig(name: string, config: Record<string, unknown>): string {
  const file = join(dir, name);
  writeFileSync(file, stringify(config));
  chmodSync(file, 0o644);
  return file;
}

describe('hradba serve start failures', () => {
  it('a DNS port in use: exit 1 and one line naming the socket and what to do', async () => {
    const port = await freePort();
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((done) => holder.bind({ address: '127.0.0.1', port, exclusive: true }, done));
    try {
      const r = await serve(writeConfig('in-use.yaml', { ...testConfig(5300), listen: [`127.0.0.1:${port}`] }));
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `hradba: cannot start: udp 127.0.0.1:${port}: address already in use: another DNS server (systemd-resolved, dnsmasq, a second hradba?) holds it; stop it or change 'listen'\n`,
      );
      expect(r.stdout).toContain('"event":"start-failed"');
    } finally {
      holder.close();
    }
  });

  it('the admin port in use: exit 1, one line, and the DNS ports are released again', async () => {
    const port = await freePort();
    const adminPort = await freePort();
    const holder = net.createServer();
    await new Promise<void>((done) => holder.listen({ host: '127.0.0.1', port: adminPort, exclusive: true }, done));
    try {
      const r = await serve(writeConfig('admin-in-use.yaml', { ...testConfig(5300), listen: [`127.0.0.1:${port}`], admin: { enabled: true, listen: `127.0.0.1:${adminPort}` } }));
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `hradba: cannot start: admin http 127.0.0.1:${adminPort}: address already in use: another process (a second hradba, an exporter?) holds it; stop it or change 'admin.listen'\n`,
      );
      const again = dgram.createSocket('udp4');
      await new Promise<void>((done, fail) => {
        again.once('error', fail);
        again.bind({ address: '127.0.0.1', port, exclusive: true }, done);
      });
      again.close();
    } finally {
      holder.close();
    }
  });

  it('an invalid config: exit 78 and the problem as file:line', async () => {
    const file = writeConfig('invalid.yaml', { ...testConfig(5300), listen: ['127.0.0.1:5399'], sinkhole: { mode: 'teapot' } });
    const r = await serve(file);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(new RegExp(`^hradba: cannot start: invalid configuration ${file}: ${file}:\\d+: sinkhole\\.mode: must be one of`));
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('a missing list: exit 78 and one line naming the file', async () => {
    const file = writeConfig('missing-list.yaml', { ...testConfig(5300), listen: ['127.0.0.1:5399'], lists: [{ file: 'nowhere.list' }] });
    const r = await serve(file);
    expect(r.code).toBe(78);
    expect(r.stderr).toBe(`hradba: cannot start: ${join(dir, 'nowhere.list')}: cannot read list: no such file\n`);
  });

  it.skipIf(!canDropPrivileges)('an unreadable list: exit 78 and one line saying to make it readable (needs root to switch to uid 65534)', async () => {
    const list = join(dir, 'secret.list');
    writeFileSync(list, testvendorList());
    chmodSync(list, 0o600);
    const file = writeConfig('unreadable-list.yaml', { ...testConfig(5300), listen: ['127.0.0.1:5399'], lists: [{ file: 'secret.list' }] });
    const r = await serve(file, { asNobody: true });
    expect(r.code).toBe(78);
    expect(r.stderr).toBe(`hradba: cannot start: ${list}: cannot read list: permission denied: make it readable by the user hradba runs as (uid 65534)\n`);
  });

  it.skipIf(!canDropPrivileges || !port53Privileged)(
    'port 53 without the capability: exit 1 and one line naming the fixes (needs root to switch users, and a kernel that keeps port 53 privileged)',
    async () => {
      const r = await serve(writeConfig('port53.yaml', { ...testConfig(5300), listen: ['127.0.0.1:53'] }), { asNobody: true });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        'hradba: cannot start: udp 127.0.0.1:53: permission denied: ports below 1024 need the CAP_NET_BIND_SERVICE capability (or sysctl net.ipv4.ip_unprivileged_port_start=53); or listen on a port >= 1024\n',
      );
    },
  );
});
