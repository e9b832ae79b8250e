/** Verdicts per client group: groups by most specific network, exceptions with expiry (injected clock), log-only lists, anti-bypass signals. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientConfig, GroupConfig, ListConfig } from '../../src/config/types.js';
import { HradbaError } from '../../src/errors.js';
import { BYPASS_RULES, compileAntiBypass } from '../../src/policy/anti-bypass.js';
import { activeException, compileClientGroups, expiryMs, type ExceptionRule } from '../../src/policy/client-groups.js';
import { compileGroupPolicy } from '../../src/policy/group-policy.js';
import { buildPolicy, type Policy } from '../../src/policy/policy.js';
import { decide, type Verdict } from '../../src/policy/verdict.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'hradba-verdict-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function writeList(id: string, entries: readonly string[], extra: Partial<ListConfig> = {}): ListConfig {
  const file = path.join(tmp, `${id}.list`);
  writeFileSync(
    file,
    ['#@hradba-list 1', `#@id: ${id}`, `#@vendor: v-${id}`, `#@basis: Authority | 2025-07-09 | Ban ${id} | https://example.org/${id}`, ...entries, ''].join('\n'),
  );
  return { file, enabled: true, ...extra };
}

const clients: ClientConfig[] = [
  { name: 'soc-analyst-1', address: '10.1.2.3' },
  { name: 'office-net', address: '10.2.0.0/16' },
];
const groups: GroupConfig[] = [
  {
    name: 'security',
    clients: ['10.1.0.0/16'],
    lists: ['deepseek'],
    exceptions: [
      { domain: 'research.deepseek.test', reason: 'NÚKIB warning exempts security testing', expires: '2026-12-31' },
      { domain: 'old.deepseek.test', reason: 'finished project', expires: '2026-01-01T00:00:00Z' },
    ],
  },
  // A single address inside the security /16 put elsewhere: the most specific network wins.
  { name: 'kiosk', clients: ['10.1.2.99/32'], lists: null, exceptions: [] },
  { name: 'default', clients: [], lists: null, exceptions: [{ domain: 'mask.icloud.com', reason: 'pilot of Private Relay', expires: null }] },
];

let policy: Policy;
let compiled: ReturnType<typeof compileGroupPolicy>;
const T0 = Date.parse('2026-11-26T12:00:00Z');

beforeAll(async () => {
  policy = await buildPolicy(
    [
      writeList('deepseek', ['deepseek.test', '=exact.other.test']),
      writeList('tiktok', ['tiktok.test']),
      writeList('trial', ['newban.test', 'deepseek.test'], { mode: 'log-only' }),
    ],
    0,
    1,
  );
  compiled = compileGroupPolicy(
    { file: '/cfg/hradba.yaml', clients, groups, antiBypass: { firefoxCanary: true, icloudPrivateRelay: true, ddr: true, dohProviders: false } },
    policy,
  );
});

function summary(v: Verdict): string {
  switch (v.kind) {
    case 'allow':
      return 'allow';
    case 'block':
    case 'log-only':
      return `${v.kind}:${v.entry.list.id}:${v.entry.domain}`;
    case 'bypass':
      return `bypass:${v.rule.key}`;
    case 'exception':
      return `exception:${v.exception.domain}>${summary(v.overridden)}`;
  }
}

describe('client groups', () => {
  it.each([
    ['10.1.2.3', 'security', 'soc-analyst-1'],
    ['10.1.200.1', 'security', null],
    ['10.1.2.99', 'kiosk', null],
    ['10.2.3.4', 'default', 'office-net'],
    ['192.0.2.1', 'default', null],
    ['::ffff:10.1.2.3', 'security', 'soc-analyst-1'],
    ['2001:db8::1', 'default', null],
    ['not an address', 'default', null],
  ])('%s is in group %s, named %s', (address, group, name) => {
    const who = compiled.groups.identify(address);
    expect(who.group.name).toBe(group);
    expect(who.name).toBe(name);
  });

  it('rejects a network claimed by two groups, and a group naming a list that is not loaded', () => {
    expect(() =>
      compileClientGroups({ clients: [], groups: [{ name: 'a', clients: ['10.0.0.0/8'], lists: null, exceptions: [] }, { name: 'b', clients: ['10.0.0.0/8'], lists: null, exceptions: [] }] }),
    ).toThrow(/already a member network/);
    let err: unknown;
    try {
      compileGroupPolicy({ file: '/cfg/x.yaml', clients: [], groups: [{ name: 'a', clients: ['10.0.0.0/8'], lists: ['nosuch'], exceptions: [] }], antiBypass: { firefoxCanary: false, icloudPrivateRelay: false, ddr: false, dohProviders: false } }, policy);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HradbaError);
    expect((err as HradbaError).code).toBe('HRADBA_ERR_CONFIG');
    expect((err as HradbaError).message).toContain("groups[0].lists: 'nosuch' is not an enabled list");
  });
});

describe('verdicts per group', () => {
  it.each([
    // [client, name, verdict]
    ['192.0.2.1', 'www.example.test', 'allow'],
    ['192.0.2.1', 'chat.deepseek.test', 'block:deepseek:deepseek.test'],
    ['192.0.2.1', 'exact.other.test', 'block:deepseek:exact.other.test'],
    ['192.0.2.1', 'sub.exact.other.test', 'allow'],
    ['192.0.2.1', 'www.tiktok.test', 'block:tiktok:tiktok.test'],
    // log-only: answered, logged as would-sinkhole; an enforced entry of another list wins over it.
    ['192.0.2.1', 'a.newban.test', 'log-only:trial:newban.test'],
    // security enforces only deepseek: tiktok and the trial list do not count for it.
    ['10.1.2.3', 'www.tiktok.test', 'allow'],
    ['10.1.2.3', 'a.newban.test', 'allow'],
    ['10.1.2.3', 'chat.deepseek.test', 'block:deepseek:deepseek.test'],
    // The exception wins over the block in its group, and only there.
    ['10.1.2.3', 'api.research.deepseek.test', 'exception:research.deepseek.test>block:deepseek:deepseek.test'],
    ['192.0.2.1', 'api.research.deepseek.test', 'block:deepseek:deepseek.test'],
    ['10.1.2.99', 'api.research.deepseek.test', 'block:deepseek:deepseek.test'],
    // Expired (2026-01-01) before T0: the ban applies again.
    ['10.1.2.3', 'old.deepseek.test', 'block:deepseek:deepseek.test'],
    // Anti-bypass signals; the default group excepts one of them.
    ['192.0.2.1', 'use-application-dns.net', 'bypass:firefoxCanary'],
    ['192.0.2.1', 'sub.use-application-dns.net', 'allow'],
    ['192.0.2.1', 'mask-h2.icloud.com', 'bypass:icloudPrivateRelay'],
    ['192.0.2.1', 'mask.icloud.com', 'exception:mask.icloud.com>bypass:icloudPrivateRelay'],
    ['10.1.2.3', 'mask.icloud.com', 'bypass:icloudPrivateRelay'],
    ['192.0.2.1', '_dns.resolver.arpa', 'bypass:ddr'],
    ['192.0.2.1', 'resolver.arpa', 'bypass:ddr'],
  ])('%s asking %s: %s', (client, qname, want) => {
    const who = compiled.groups.identify(client);
    expect(summary(decide({ policy, bypass: compiled.bypass }, who.group, qname, T0))).toBe(want);
  });

  it('reports an expired exception to the caller, and an unexpired one stops at its expiry', () => {
    const security = compiled.groups.identify('10.1.2.3').group;
    const expired: ExceptionRule[] = [];
    decide({ policy, bypass: compiled.bypass }, security, 'old.deepseek.test', T0, (r) => expired.push(r));
    expect(expired.map((r) => r.domain)).toEqual(['old.deepseek.test']);
    // A bare date lasts to the end of that day (UTC).
    const end = expiryMs('2026-12-31');
    expect(new Date(end).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(activeException(security, 'x.research.deepseek.test', end - 1)?.domain).toBe('research.deepseek.test');
    expect(activeException(security, 'x.research.deepseek.test', end)).toBeUndefined();
    expect(summary(decide({ policy, bypass: compiled.bypass }, security, 'x.research.deepseek.test', end))).toBe('block:deepseek:deepseek.test');
  });

  it('keeps several exceptions for one domain: a renewed one applies when the first has expired', () => {
    const g = compileClientGroups({
      clients: [],
      groups: [
        {
          name: 'default',
          clients: [],
          lists: null,
          exceptions: [
            { domain: 'deepseek.test', reason: 'first term', expires: '2026-01-01T00:00:00Z' },
            { domain: 'deepseek.test', reason: 'renewed', expires: '2027-01-01T00:00:00Z' },
          ],
        },
      ],
    }).defaultGroup;
    expect(activeException(g, 'deepseek.test', Date.parse('2025-06-01T00:00:00Z'))?.reason).toBe('first term');
    expect(activeException(g, 'deepseek.test', T0)?.reason).toBe('renewed');
    expect(activeException(g, 'deepseek.test', Date.parse('2027-06-01T00:00:00Z'))).toBeUndefined();
  });

  it('switches each anti-bypass signal off on its own', () => {
    for (const rule of BYPASS_RULES) {
      const cfg = { firefoxCanary: true, icloudPrivateRelay: true, ddr: true, dohProviders: false, [rule.key]: false };
      expect(compileAntiBypass(cfg).match(rule.domain), rule.key).toBeUndefined();
      expect(compileAntiBypass({ firefoxCanary: true, icloudPrivateRelay: true, ddr: true, dohProviders: false }).match(rule.domain)).toBe(rule);
    }
  });
});

describe('the shipped list of public encrypted resolvers', () => {
  it('is off by default and, switched on, answers its names (and names below them) as bypass attempts', async () => {
    const { dohProviderRules, DOH_PROVIDERS_FILE } = await import('../../src/policy/anti-bypass.js');
    const rules = dohProviderRules();
    expect(rules.length).toBeGreaterThan(20);
    expect(rules.every((r) => r.key === 'dohProviders' && r.answer === 'nxdomain' && r.why.includes(DOH_PROVIDERS_FILE))).toBe(true);
    const on = compileAntiBypass({ firefoxCanary: true, icloudPrivateRelay: true, ddr: true, dohProviders: true });
    const off = compileAntiBypass({ firefoxCanary: true, icloudPrivateRelay: true, ddr: true, dohProviders: false });
    for (const name of ['dns.google', 'mozilla.cloudflare-dns.com', 'odvr.nic.cz']) {
      expect(on.match(name)?.key, name).toBe('dohProviders');
      expect(off.match(name), name).toBeUndefined();
    }
    expect(on.match('www.google.com')).toBeUndefined();
  });

  it('reports a bad line of the file with file:line', async () => {
    const { dohProviderRules } = await import('../../src/policy/anti-bypass.js');
    const file = path.join(tmp, 'doh.txt');
    writeFileSync(file, '# c\ndns.example\nbad name\n');
    expect(() => dohProviderRules(file)).toThrow(`${file}:3:`);
  });
});
