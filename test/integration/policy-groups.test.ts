/**
 * Group policy end to end on loopback, with a real NSD upstream: two source addresses in different groups get
 * different answers; CNAME chains into a banned domain are sinkholed; anti-bypass signals; a log-only list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, parseDig, rdata, type DigAnswer } from '../helpers/dig.js';
import { startHradba, type HradbaProcess, type LogLine } from '../helpers/hradba.js';
import { fixtureZones, startNsd, type NsdServer } from '../helpers/nsd.js';
import { runCli } from '../helpers/run-cli.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

/** A zone whose names alias into the banned vendor's domain, directly and through an in-zone hop. */
const ALIAS_ZONE = [
  '$ORIGIN alias.test.',
  '$TTL 300',
  '@     IN SOA ns1.alias.test. hostmaster.alias.test. ( 1 3600 900 604800 300 )',
  '@     IN NS  ns1.alias.test.',
  'ns1   IN A   192.0.2.1',
  'tochat IN CNAME chat.banned-vendor.test.',
  'deep  IN CNAME hop.alias.test.',
  'hop   IN CNAME api.v1.banned-vendor.test.',
  'fine  IN CNAME www.example.test.',
  'cdnhost IN A 198.51.100.77',
  'cdnhost IN A 192.0.2.9',
  'v6host IN AAAA 2001:db8:bad::1',
  'tocdn IN CNAME cdnhost.alias.test.',
  'cleanhost IN A 198.51.100.1',
  '',
].join('\n');

const TRIAL_LIST = ['#@hradba-list 1', '#@id: trial', '#@vendor: trialvendor', '#@basis: Test Authority | 2026 | Trial | https://example.org/trial', 'www.example.test', ''].join('\n');

const PREFIX_LIST = ['# networks of a banned vendor', '198.51.100.64/26', '2001:db8:bad::/48  # its IPv6 block', ''].join('\n');

const ANALYST = '127.0.0.2';

describe('client groups, exceptions, CNAME inspection, anti-bypass, log-only', () => {
  let nsd: NsdServer;
  let hradba: HradbaProcess;

  const ask = async (name: string, type: string, source?: string): Promise<DigAnswer> => {
    const run = await dig({ port: hradba.port }, [...(source === undefined ? [] : ['-b', source]), name, type]);
    const a = parseDig(run.stdout);
    if (a.status === null) throw new Error(`no reply for ${name}: ${run.stdout}${run.stderr}\n${hradba.stderr()}`);
    return a;
  };
  const lineFor = (pred: (l: LogLine) => boolean): Promise<LogLine> => hradba.waitForLog(pred, 5_000);

  beforeAll(async () => {
    nsd = await startNsd({ zones: { ...fixtureZones(), 'alias.test': ALIAS_ZONE } });
    hradba = await startHradba({
      config: testConfig(nsd.port, {
        access: { allow: ['127.0.0.0/8', '::1/128'] },
        lists: [
          { file: TEST_LIST },
          { file: 'trial.list', mode: 'log-only' },
          { file: 'badnet.txt', format: 'prefixes', id: 'badnet', vendor: 'badnet', basis: [{ authority: 'Test Authority', date: '2026', title: 'Prefix ban', url: 'https://example.org/prefix' }] },
        ],
        clients: [{ name: 'soc-analyst', address: ANALYST }],
        groups: [
          {
            name: 'security',
            clients: [`${ANALYST}/32`],
            lists: ['testvendor'],
            exceptions: [{ domain: 'banned-vendor.test', reason: 'security testing of the banned service', expires: '2099-12-31' }],
          },
        ],
      }),
      lists: { [TEST_LIST]: testvendorList(), 'trial.list': TRIAL_LIST, 'badnet.txt': PREFIX_LIST },
    });
  });

  afterAll(async () => {
    await hradba?.stop();
    await nsd?.stop();
  });

  it('answers two loopback sources in different groups differently, and logs client name and group', async () => {
    const blocked = await ask('chat.banned-vendor.test', 'A', '127.0.0.1');
    expect(blocked.status).toBe('NXDOMAIN');
    const allowed = await ask('chat.banned-vendor.test', 'A', ANALYST);
    expect(allowed.status).toBe('NOERROR');
    expect(rdata(allowed, 'A')).toEqual(['192.0.2.52']);

    const sink = await lineFor((l) => l['event'] === 'sinkhole' && l['qname'] === 'chat.banned-vendor.test');
    expect(sink).toMatchObject({ client: '127.0.0.1', group: 'default', list: 'testvendor' });
    const exc = await lineFor((l) => l['event'] === 'exception' && l['qname'] === 'chat.banned-vendor.test');
    expect(exc).toMatchObject({
      client: ANALYST,
      clientName: 'soc-analyst',
      group: 'security',
      exception: 'banned-vendor.test',
      reason: 'security testing of the banned service',
      overrides: { match: 'banned-vendor.test', list: 'testvendor' },
    });
  });

  it.each([
    ['tochat.alias.test', 'chat.banned-vendor.test'],
    ['deep.alias.test', 'api.v1.banned-vendor.test'],
  ])('sinkholes %s, whose CNAME chain reaches %s, and names both in the log', async (qname, member) => {
    const a = await ask(qname, 'A');
    expect(a.status).toBe('NXDOMAIN');
    expect(a.answer).toEqual([]);
    const line = await lineFor((l) => l['event'] === 'sinkhole' && l['qname'] === qname);
    expect(line).toMatchObject({ via: member, match: 'banned-vendor.test', list: 'testvendor', group: 'default' });
    // The security group's exception covers the chain member too.
    const b = await ask(qname, 'A', ANALYST);
    expect(b.status).toBe('NOERROR');
    expect(b.answer.some((rr) => rr.includes('CNAME'))).toBe(true);
  });

  it.each([
    ['cdnhost.alias.test', 'A', '198.51.100.77', '198.51.100.64/26'],
    ['tocdn.alias.test', 'A', '198.51.100.77', '198.51.100.64/26'],
    ['v6host.alias.test', 'AAAA', '2001:db8:bad:0:0:0:0:1', '2001:db8:bad::/48'],
  ])('sinkholes %s %s, whose answer holds %s inside a banned prefix', async (qname, type, ip, prefix) => {
    const a = await ask(qname, type);
    expect(a.status).toBe('NXDOMAIN');
    const line = await lineFor((l) => l['event'] === 'sinkhole' && l['qname'] === qname);
    expect(line).toMatchObject({ answerIp: ip, match: prefix, list: 'badnet', vendor: 'badnet' });
    // The security group does not enforce the prefix list.
    const b = await ask(qname, type, ANALYST);
    expect(b.status).toBe('NOERROR');
  });

  it('forwards an answer whose addresses are outside every banned prefix', async () => {
    const a = await ask('cleanhost.alias.test', 'A');
    expect(a.status).toBe('NOERROR');
    expect(rdata(a, 'A')).toEqual(['198.51.100.1']);
  });

  it('forwards an alias into an allowed name untouched', async () => {
    const a = await ask('fine.alias.test', 'A');
    expect(a.status).toBe('NOERROR');
    expect(a.answer.some((rr) => rr.includes('CNAME www.example.test.'))).toBe(true);
  });

  it.each([
    ['use-application-dns.net', 'A', 'NXDOMAIN', 'firefoxCanary'],
    ['mask.icloud.com', 'A', 'NXDOMAIN', 'icloudPrivateRelay'],
    ['mask-h2.icloud.com', 'AAAA', 'NXDOMAIN', 'icloudPrivateRelay'],
    ['_dns.resolver.arpa', 'SVCB', 'NOERROR', 'ddr'],
  ])('answers the bypass signal %s %s with %s and logs a bypass attempt', async (name, type, status, signal) => {
    const a = await ask(name, type);
    expect(a.status).toBe(status);
    expect(a.answer).toEqual([]);
    // Never forwarded: the test NSD serves none of these, it would have said REFUSED.
    const line = await lineFor((l) => l['event'] === 'bypass' && l['qname'] === name);
    expect(line).toMatchObject({ signal, client: '127.0.0.1', group: 'default' });
  });

  it('answers a name of a log-only list normally and logs "would sinkhole"; the group without that list logs nothing', async () => {
    const a = await ask('www.example.test', 'A');
    expect(a.status).toBe('NOERROR');
    expect(rdata(a, 'A')).toEqual(['192.0.2.10']);
    const line = await lineFor((l) => l['event'] === 'would-sinkhole' && l['qname'] === 'www.example.test');
    expect(line).toMatchObject({ msg: 'would sinkhole', list: 'trial', vendor: 'trialvendor', client: '127.0.0.1' });
    const before = hradba.logs().filter((l) => l['event'] === 'would-sinkhole').length;
    const b = await ask('www.example.test', 'A', ANALYST);
    expect(b.status).toBe('NOERROR');
    // Another log-only lookup from the default group marks the point the analyst's line would have come before.
    await ask('www.example.test', 'AAAA');
    await lineFor((l) => l['event'] === 'would-sinkhole' && l['qtype'] === 'AAAA');
    const after = hradba.logs().filter((l) => l['event'] === 'would-sinkhole');
    expect(after.length).toBe(before + 1);
    expect(after.every((l) => l['client'] !== ANALYST)).toBe(true);
  });

  it('report shows client names, groups, would-sinkhole and bypass counts', async () => {
    const r = await runCli(['report', '--json'], { input: hradba.stdout() });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { clients: Array<Record<string, unknown>> };
    const local = report.clients.find((c) => c['client'] === '127.0.0.1');
    expect(local).toMatchObject({ group: 'default' });
    expect(Number(local?.['bypass'])).toBeGreaterThanOrEqual(4);
    expect(Number(local?.['wouldSinkhole'])).toBeGreaterThanOrEqual(2);
    const table = await runCli(['report'], { input: hradba.stdout() });
    expect(table.stdout).toContain('default');
    expect(table.stdout).toMatch(/bypass/i);
  });

  it('explain names the banned network holding an address, per group', async () => {
    const r = await runCli(['explain', '198.51.100.77', '--config', hradba.configFile ?? '']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('198.51.100.77: an answer holding it is sinkholed (group default');
    expect(r.stdout).toContain('network: 198.51.100.64/26 in list badnet');
    const sec = await runCli(['explain', '198.51.100.77', '--client', ANALYST, '--config', hradba.configFile ?? '']);
    expect(sec.stdout).toContain('not in any enforced prefix list');
    expect(sec.stdout).toContain('not enforced for group security: 198.51.100.64/26 in list badnet');
  });

  it('explain shows the exception, the overridden entry and which won', async () => {
    const r = await runCli(['explain', 'chat.banned-vendor.test', '--client', ANALYST, '--config', hradba.configFile ?? '', '--json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const v = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(v).toMatchObject({
      verdict: 'allowed by exception',
      group: 'security',
      clientName: 'soc-analyst',
      exception: { domain: 'banned-vendor.test', reason: 'security testing of the banned service' },
      overridden: { list: 'testvendor', entry: 'banned-vendor.test' },
    });
    expect(String(v['won'])).toContain('exception');
    const text = await runCli(['explain', 'chat.banned-vendor.test', '--client', '127.0.0.1', '--config', hradba.configFile ?? '']);
    expect(text.stdout).toContain('BLOCKED');
    expect(text.stdout).toContain('group:   default');
  });
});
