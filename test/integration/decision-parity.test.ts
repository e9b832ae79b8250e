/**
 * The running server and `hradba explain --json` make one decision: a corpus of names, types and loopback clients
 * (blocked, exact, below an exact entry, exceptions by group, local zones, forwardZones over local zones, the DS of
 * a listed apex, anti-bypass names, refused clients) is asked of the server with dig from several source addresses
 * and of explain, and every verdict must be the same. What the server did is read from what can be seen of it:
 * the RCODE, the EDE text, which upstream got the query, and the block log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, parseDig, type DigAnswer } from '../helpers/dig.js';
import { buildReply, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startHradba, type HradbaProcess, type LogLine } from '../helpers/hradba.js';
import { runCli } from '../helpers/run-cli.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

const DEFAULT_CLIENT = '127.0.0.1';
/** In group 'security', whose exception lets the banned vendor through. */
const ANALYST = '127.0.0.2';
/** Not in access.allow. */
const STRANGER = '127.0.0.3';

const TRIAL_LIST = ['#@hradba-list 1', '#@id: trial', '#@vendor: trialvendor', '#@basis: Test Authority | 2026 | Trial | https://example.org/trial', 'www.example.test', ''].join('\n');

/** [name, type, client]; every triple is asked once, so its log lines and upstream calls are its own. */
const CORPUS: ReadonlyArray<readonly [string, string, string]> = [
  ['chat.banned-vendor.test', 'A', DEFAULT_CLIENT],
  ['banned-vendor.test', 'AAAA', DEFAULT_CLIENT],
  ['exact.example.net', 'A', DEFAULT_CLIENT],
  ['www.exact.example.net', 'A', DEFAULT_CLIENT],
  ['chat.banned-vendor.test', 'A', ANALYST],
  ['x.zone.banned-vendor.test', 'A', DEFAULT_CLIENT],
  ['x.zone.banned-vendor.test', 'A', ANALYST],
  ['banned-vendor.test', 'DS', DEFAULT_CLIENT],
  ['sub.banned-vendor.test', 'DS', DEFAULT_CLIENT],
  ['www.example.test', 'DS', DEFAULT_CLIENT],
  ['use-application-dns.net', 'A', DEFAULT_CLIENT],
  ['use-application-dns.net', 'A', ANALYST],
  ['use-application-dns.net', 'DS', DEFAULT_CLIENT],
  ['mask.icloud.com', 'A', ANALYST],
  ['resolver.arpa', 'SVCB', DEFAULT_CLIENT],
  ['localhost', 'A', DEFAULT_CLIENT],
  ['1.1.168.192.in-addr.arpa', 'PTR', ANALYST],
  ['4.3.2.10.in-addr.arpa', 'PTR', DEFAULT_CLIENT],
  ['dc1.corp.test', 'A', ANALYST],
  ['www.example.test', 'A', DEFAULT_CLIENT],
  ['www.example.org', 'A', DEFAULT_CLIENT],
  ['www.example.org', 'A', STRANGER],
  ['chat.banned-vendor.test', 'A', STRANGER],
];

/** The comparable part of a decision: kind, and the name of what decided it. */
type Seen = Record<string, unknown>;

/** qnameOf reads the question name of a query (no compression in a question as sent). */
function qnameOf(msg: Buffer): string {
  const labels: string[] = [];
  for (let at = 12; at < msg.length && msg[at] !== 0; at += msg[at]! + 1) labels.push(msg.subarray(at + 1, at + 1 + msg[at]!).toString('latin1'));
  return labels.join('.').toLowerCase();
}

describe('the server and explain make one decision', () => {
  let defaultUpstream: FakeUpstream;
  let zoneUpstreams: Record<string, FakeUpstream>;
  let hradba: HradbaProcess;
  const seenByServer = new Map<string, Seen>();

  beforeAll(async () => {
    defaultUpstream = await startFakeUpstream();
    zoneUpstreams = {
      'corp.test': await startFakeUpstream(),
      '10.in-addr.arpa': await startFakeUpstream(),
      'zone.banned-vendor.test': await startFakeUpstream(),
    };
    for (const u of [defaultUpstream, ...Object.values(zoneUpstreams)]) u.answer((q) => buildReply(q));
    hradba = await startHradba({
      config: testConfig(defaultUpstream.address.port, {
        access: { allow: [`${DEFAULT_CLIENT}/32`, `${ANALYST}/32`, '::1/128'] },
        lists: [{ file: TEST_LIST }, { file: 'trial.list', mode: 'log-only' }],
        groups: [{ name: 'security', clients: [`${ANALYST}/32`], exceptions: [{ domain: 'banned-vendor.test', reason: 'security testing', expires: '2099-12-31' }] }],
        forwardZones: Object.entries(zoneUpstreams).map(([zone, u]) => ({ zone, upstreams: [`127.0.0.1:${u.address.port}`] })),
        // Every allowed query must reach an upstream, so which one got it is seen for each.
        cache: { enabled: false },
      }),
      lists: { [TEST_LIST]: testvendorList(), 'trial.list': TRIAL_LIST },
    });

    const answers: Array<{ key: string; name: string; type: string; client: string; a: DigAnswer; upstream: string | null | undefined }> = [];
    for (const [name, type, client] of CORPUS) {
      const before = new Map([defaultUpstream, ...Object.values(zoneUpstreams)].map((u) => [u, u.calls.length]));
      const run = await dig({ port: hradba.port }, ['-b', client, '+tries=1', '+time=3', name, type]);
      const a = parseDig(run.stdout);
      if (a.status === null) throw new Error(`no reply for ${name} ${type} from ${client}: ${run.stdout}${run.stderr}`);
      const got = (u: FakeUpstream): boolean => u.calls.slice(before.get(u)).some((c) => qnameOf(c.query) === name);
      const zone = Object.entries(zoneUpstreams).find(([, u]) => got(u))?.[0];
      answers.push({ key: `${name} ${type} ${client}`, name, type, client, a, upstream: zone ?? (got(defaultUpstream) ? null : undefined) });
    }
    // Block-log lines are written in order: once this last block is logged, every line before it is too.
    const marker = await dig({ port: hradba.port }, ['-b', DEFAULT_CLIENT, 'marker.banned-vendor.test', 'TXT']);
    expect(parseDig(marker.stdout).status).toBe('NXDOMAIN');
    await hradba.waitForLog((l) => l['event'] === 'sinkhole' && l['qname'] === 'marker.banned-vendor.test', 5_000);
    const logs = hradba.logs();
    const lineOf = (event: string, x: { name: string; type: string; client: string }): LogLine | undefined =>
      logs.find((l) => l['event'] === event && l['qname'] === x.name && l['qtype'] === x.type && l['client'] === x.client);

    for (const x of answers) {
      const exception = lineOf('exception', x);
      const would = lineOf('would-sinkhole', x);
      const why: Seen = { ...(exception === undefined ? {} : { exception: exception['exception'] }), ...(would === undefined ? {} : { logOnly: would['list'] }) };
      const sink = lineOf('sinkhole', x);
      const bypass = lineOf('bypass', x);
      let seen: Seen;
      if (x.a.status === 'REFUSED') seen = { kind: 'refused' };
      else if (x.upstream !== undefined) seen = { kind: 'forwarded', zone: x.upstream, ...why };
      else if (sink !== undefined) seen = { kind: 'sinkholed', list: sink['list'], ede: x.a.ede?.text.includes(`list ${String(sink['list'])}`) === true };
      else if (bypass !== undefined) seen = { kind: 'bypass', name: bypass['match'] };
      else seen = { kind: 'local', ...why };
      seenByServer.set(x.key, seen);
    }
  }, 120_000);

  afterAll(async () => {
    await hradba?.stop();
    for (const u of [defaultUpstream, ...Object.values(zoneUpstreams ?? {})]) await u?.close();
  });

  /** What explain says, in the same terms. */
  const explained = async (name: string, type: string, client: string): Promise<Seen> => {
    const r = await runCli(['explain', name, '--type', type, '--client', client, '--json', '--config', hradba.configFile ?? '']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const d = (JSON.parse(r.stdout) as { decision: Record<string, unknown> }).decision;
    const why: Seen = { ...(d['exception'] === undefined ? {} : { exception: d['exception'] }), ...(d['logOnly'] === undefined ? {} : { logOnly: d['logOnly'] }) };
    switch (d['kind']) {
      case 'refused':
        return { kind: 'refused' };
      case 'forwarded':
        return { kind: 'forwarded', zone: d['zone'], ...why };
      case 'sinkholed':
        return { kind: 'sinkholed', list: d['list'], ede: true };
      case 'bypass':
        return { kind: 'bypass', name: d['name'] };
      default:
        return { kind: d['kind'], ...why };
    }
  };

  it('covers every kind of decision (the corpus is not one-sided)', () => {
    const kinds = new Set([...seenByServer.values()].map((s) => s['kind']));
    expect([...kinds].sort()).toEqual(['bypass', 'forwarded', 'local', 'refused', 'sinkholed']);
    // The rules the corpus is there for, as the server applied them.
    expect(seenByServer.get(`banned-vendor.test DS ${DEFAULT_CLIENT}`)).toEqual({ kind: 'forwarded', zone: null });
    expect(seenByServer.get(`sub.banned-vendor.test DS ${DEFAULT_CLIENT}`)).toMatchObject({ kind: 'sinkholed' });
    expect(seenByServer.get(`4.3.2.10.in-addr.arpa PTR ${DEFAULT_CLIENT}`)).toEqual({ kind: 'forwarded', zone: '10.in-addr.arpa' });
    expect(seenByServer.get(`x.zone.banned-vendor.test A ${ANALYST}`)).toEqual({ kind: 'forwarded', zone: 'zone.banned-vendor.test', exception: 'banned-vendor.test' });
  });

  it.each(CORPUS.map(([name, type, client]) => [`${name} ${type} ${client}`, name, type, client] as const))('%s', async (key, name, type, client) => {
    const server = seenByServer.get(key);
    expect(server, `the server's answer to ${key}`).toBeDefined();
    expect(await explained(name, type, client)).toEqual(server);
  });
});
