/**
 * The firewall rules of deploy/firewall/ make hradba the only way out for DNS, tried on real packets: a client, a
 * gateway and a server network in namespaces of their own; on the server hradba (192.0.2.53, the rules' example
 * address) and a second, non-filtering resolver (NSD at 192.0.2.54 on 53 and 853, and on 5300 as a port no rule
 * concerns). Without rules the client resolves a banned name through the second resolver; with each rule set,
 * loaded as shipped on the client (host) or on the gateway, it reaches hradba only. The same holds for the real
 * glibc stub (`getent ahosts`) with both resolvers in resolv.conf and `options rotate`, the setup that undid the ban.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseDig, rdata, type DigAnswer } from '../helpers/dig.js';
import { createNetns, type Netns, type NetnsWorld } from '../helpers/netns.js';
import { fixtureZones } from '../helpers/nsd.js';
import { CLI_JS, NODE_BIN, REPO_ROOT, requireBuiltCli, requireTool } from '../helpers/paths.js';
import { TEST_LIST, testvendorList } from '../helpers/test-config.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { retry } from '../helpers/wait.js';

const HRADBA = '192.0.2.53';
const SECOND = '192.0.2.54';
const FIREWALL = join(REPO_ROOT, 'deploy', 'firewall');

let world: NetnsWorld;
let client: Netns;
let gateway: Netns;
let server: Netns;
let dir: string;

/** Where NSD listens inside the server namespace: hradba's upstream on loopback, and the second resolver. */
function nsdConf(zonesDir: string): string {
  const zones = Object.keys(fixtureZones());
  return [
    'server:',
    '  ip-address: 127.0.0.1@5300',
    `  ip-address: ${SECOND}@53`,
    `  ip-address: ${SECOND}@853`,
    `  ip-address: ${SECOND}@5300`,
    '  username: ""',
    '  chroot: ""',
    `  zonesdir: "${zonesDir}"`,
    `  pidfile: "${zonesDir}/nsd.pid"`,
    `  xfrdfile: "${zonesDir}/xfrd.state"`,
    `  xfrdir: "${zonesDir}"`,
    `  zonelistfile: "${zonesDir}/zone.list"`,
    '  database: ""',
    '  server-count: 1',
    'remote-control:',
    '  control-enable: no',
    ...zones.flatMap((z) => ['zone:', `  name: "${z}"`, `  zonefile: "${z}.zone"`]),
    '',
  ].join('\n');
}

/** dig from the client namespace: one try, 2 s, so a rejected query ends at once and a dropped one soon. */
async function ask(server: string, name: string, extra: readonly string[] = []): Promise<DigAnswer> {
  const r = await client.exec(requireTool('dig'), [`@${server}`, '+tries=1', '+timeout=2', name, 'A', ...extra]);
  return parseDig(r.stdout);
}

/** The directory `ip netns exec` bind-mounts over /etc for the namespace's commands (here: its resolv.conf). */
function netnsEtc(ns: Netns): string {
  return join('/etc/netns', ns.name);
}

/** The banned name's addresses in the fixture zone, as only the second resolver hands them out. */
const VENDOR_ADDRESSES = ['192.0.2.52', '2001:db8::52'];

/** Bound on glibc lookups per case: with rotate, 2^-LOOKUPS is the chance that none starts at the second resolver. */
const LOOKUPS = 16;

/**
 * `getent ahosts` of the banned name from the client, LOOKUPS times (stopping early once `stopAtBypass` and the
 * vendor's address came back): whether each lookup succeeded and handed out a vendor address. Each is bounded by
 * resolv.conf's `timeout:1 attempts:1`, and the run limit of `exec`.
 */
async function glibcLookups(stopAtBypass: boolean): Promise<{ code: number; vendor: boolean; output: string }[]> {
  const results: { code: number; vendor: boolean; output: string }[] = [];
  for (let i = 0; i < LOOKUPS; i++) {
    const r = await client.exec('getent', ['ahosts', 'chat.banned-vendor.test']);
    const vendor = r.stdout.split('\n').some((line) => VENDOR_ADDRESSES.includes(line.split(/\s+/)[0] ?? ''));
    results.push({ code: r.code, vendor, output: r.stdout + r.stderr });
    if (stopAtBypass && vendor) break;
  }
  return results;
}

/** Packets counted by the UDP reject rule in `nft list table` output. */
function udpRejected(listing: string): number {
  const m = /udp (?:th )?dport \{ 53, 853 \} counter packets (\d+)/.exec(listing);
  if (m === null) throw new Error(`no UDP reject counter in:\n${listing}`);
  return Number(m[1]);
}

beforeAll(async () => {
  requireBuiltCli();
  dir = makeTempDir('firewall');
  world = await createNetns('hfw', ['c', 'g', 's']);
  client = world.ns('c');
  gateway = world.ns('g');
  server = world.ns('s');
  await world.link('c', 'c0', 'g', 'g0');
  await world.link('g', 'g1', 's', 's0');
  await client.must('ip', ['addr', 'add', '198.51.100.10/24', 'dev', 'c0']);
  await client.must('ip', ['route', 'add', 'default', 'via', '198.51.100.1']);
  await gateway.must('ip', ['addr', 'add', '198.51.100.1/24', 'dev', 'g0']);
  await gateway.must('ip', ['addr', 'add', '192.0.2.254/24', 'dev', 'g1']);
  await gateway.must('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  await server.must('ip', ['addr', 'add', `${HRADBA}/24`, 'dev', 's0']);
  await server.must('ip', ['addr', 'add', `${SECOND}/24`, 'dev', 's0']);
  await server.must('ip', ['route', 'add', 'default', 'via', '192.0.2.254']);

  for (const [zone, text] of Object.entries(fixtureZones())) writeFileSync(join(dir, `${zone}.zone`), text);
  writeFileSync(join(dir, 'nsd.conf'), nsdConf(dir));
  const nsd = server.spawn(requireTool('nsd'), ['-d', '-c', join(dir, 'nsd.conf')]);
  writeFileSync(join(dir, TEST_LIST), testvendorList());
  writeFileSync(
    join(dir, 'hradba.yaml'),
    stringify({
      listen: [`${HRADBA}:53`],
      upstreams: ['127.0.0.1:5300'],
      forward: { testNames: true, attemptTimeout: '1s', deadline: '3s' },
      access: { allow: ['198.51.100.0/24', '127.0.0.0/8'] },
      lists: [{ file: TEST_LIST }],
      workers: 1,
      log: { level: 'info', file: null },
    }),
  );
  const hradba = server.spawn(NODE_BIN, [CLI_JS, 'serve', '--config', join(dir, 'hradba.yaml')]);
  let output = '';
  for (const c of [nsd, hradba]) {
    c.stdout?.on('data', (b: Buffer) => (output += b.toString()));
    c.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  }
  await retry('hradba and the second resolver answering the client', 50, 200, async () => {
    if (hradba.exitCode !== null || nsd.exitCode !== null) throw new Error(`a server exited:\n${output}`);
    const [a, b] = await Promise.all([ask(HRADBA, 'www.example.test'), ask(SECOND, 'www.example.test')]);
    return a.status === 'NOERROR' && b.status === 'NOERROR' ? true : undefined;
  });
}, 60_000);

afterAll(async () => {
  if (client !== undefined) rmSync(netnsEtc(client), { recursive: true, force: true });
  await world?.remove();
  if (dir !== undefined) removeTempDir(dir);
});

/** A rule set as shipped, and how to load and unload it where it belongs. */
const RULE_SETS = [
  { file: 'host.nft', where: () => client, load: ['nft', ['-f', join(FIREWALL, 'host.nft')]], unload: ['nft', ['delete', 'table', 'inet', 'hradba_dns_egress']] },
  { file: 'gateway.nft', where: () => gateway, load: ['nft', ['-f', join(FIREWALL, 'gateway.nft')]], unload: ['nft', ['delete', 'table', 'inet', 'hradba_dns_forward']] },
  { file: 'host.iptables', where: () => client, load: ['iptables-restore', []], unload: ['iptables', ['-F']], chainDrop: true },
  { file: 'gateway.iptables', where: () => gateway, load: ['iptables-restore', []], unload: ['iptables', ['-F']], chainDrop: true },
] as const;

describe('the way out for DNS', () => {
  it('without rules, the second resolver hands the client the banned name (what the rules must stop)', async () => {
    expect((await ask(HRADBA, 'chat.banned-vendor.test')).status).toBe('NXDOMAIN');
    const bypass = await ask(SECOND, 'chat.banned-vendor.test');
    expect(bypass.status).toBe('NOERROR');
    expect(rdata(bypass, 'A')).toEqual(['192.0.2.52']);
    expect((await ask(SECOND, 'chat.banned-vendor.test', ['+tcp', '-p', '853'])).status).toBe('NOERROR');
  });

  it.each(RULE_SETS)('with $file, the client reaches hradba and no other resolver', async (set) => {
    const ns = set.where();
    const [file, args] = set.load;
    const input = file === 'iptables-restore' ? readFileSync(join(FIREWALL, set.file), 'utf8') : undefined;
    await ns.must(file, args, input);
    try {
      expect((await ask(HRADBA, 'chat.banned-vendor.test')).status).toBe('NXDOMAIN');
      expect((await ask(HRADBA, 'chat.banned-vendor.test', ['+tcp'])).status).toBe('NXDOMAIN');
      expect((await ask(HRADBA, 'www.example.test')).status).toBe('NOERROR');
      for (const extra of [[], ['+tcp'], ['+tcp', '-p', '853'], ['-p', '853']]) {
        const r = await ask(SECOND, 'chat.banned-vendor.test', extra);
        expect(r.status, `${SECOND} ${extra.join(' ')}`).toBeNull();
      }
      // Only DNS is held: the same server on another port still answers.
      expect((await ask(SECOND, 'chat.banned-vendor.test', ['-p', '5300'])).status).toBe('NOERROR');
    } finally {
      const [off, offArgs] = set.unload;
      await ns.must(off, offArgs);
      if ('chainDrop' in set) await ns.must('iptables', ['-X', 'HRADBA-DNS']);
    }
  });

  it('with the glibc stub rotating over hradba and the second resolver, the nftables rules leave no way round', async () => {
    mkdirSync(netnsEtc(client), { recursive: true });
    writeFileSync(join(netnsEtc(client), 'resolv.conf'), `nameserver ${HRADBA}\nnameserver ${SECOND}\noptions rotate timeout:1 attempts:1\n`);
    // Without rules: some lookup starts at the second resolver and gets the vendor's address (the bypass).
    const open = await glibcLookups(true);
    expect(
      open.some((r) => r.vendor && r.code === 0),
      open.map((r) => r.output).join('\n'),
    ).toBe(true);
    for (const set of RULE_SETS.filter((s) => s.file.endsWith('.nft'))) {
      const ns = set.where();
      const [file, args] = set.load;
      await ns.must(file, args);
      try {
        // Every lookup fails: hradba's NXDOMAIN, or the rules' reject of the second resolver and then hradba's NXDOMAIN.
        for (const r of await glibcLookups(false)) {
          expect(r.vendor, `${set.file}: ${r.output}`).toBe(false);
          expect(r.code, `${set.file}: ${r.output}`).not.toBe(0);
        }
        // And the stub did go to the second resolver: the rules' UDP reject counted its queries.
        expect(udpRejected(await ns.must('nft', ['list', ...set.unload[1].slice(1)])), set.file).toBeGreaterThan(0);
      } finally {
        const [off, offArgs] = set.unload;
        await ns.must(off, offArgs);
      }
    }
  }, 120_000);

  it('the IPv6 halves load too', async () => {
    for (const f of ['host.ip6tables', 'gateway.ip6tables']) {
      await client.must('ip6tables-restore', ['--test'], readFileSync(join(FIREWALL, f), 'utf8'));
    }
  });
});
