/** AdBlock and RPZ list formats: good and bad lines, detection, and the RPZ export/import round trip. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ListConfig } from '../../src/config/types.js';
import { compileClientGroups } from '../../src/policy/client-groups.js';
import { compileAntiBypass } from '../../src/policy/anti-bypass.js';
import { detectFormat, loadList, parseList } from '../../src/policy/list-file.js';
import { buildPolicy } from '../../src/policy/policy.js';
import { exportRpz } from '../../src/policy/rpz-export.js';
import { decide } from '../../src/policy/verdict.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'hradba-formats-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const META = { id: 'imported', vendor: 'example', basis: [{ authority: 'A', date: '2026', title: 'T', url: 'https://example.org/' }] };

/** collect reads a short text (at most five problems) as a list of the format, with its trailing newline. */
function collect(format: 'adblock' | 'rpz' | 'prefixes', text: string): { entries: object[]; problems: string[] } {
  const l = parseList(`${text}\n`, { file: 'x', enabled: true, format, ...META, mayBeEmpty: 'test' });
  const entries = format === 'prefixes' ? (l.prefixes ?? []) : l.entries;
  return { entries, problems: l.problems.filter((p) => p.line > 0).map((p) => `${p.line}: ${p.message}`) };
}

describe('AdBlock rules', () => {
  it.each([
    ['||example.org^', [{ domain: 'example.org', exact: false, line: 1 }], []],
    ['@@||ok.example.org^', [{ domain: 'ok.example.org', exact: false, line: 1, allow: true }], []],
    ['||Example.ORG^$important', [{ domain: 'example.org', exact: false, line: 1 }], []],
    ['! a comment\n[Adblock Plus 2.0]\n\n||a.test^', [{ domain: 'a.test', exact: false, line: 4 }], []],
    ['||bücher.example^', [{ domain: 'xn--bcher-kva.example', exact: false, line: 1 }], []],
    ['example.org##.ad', [], ['1: cosmetic rule skipped']],
    ['||example.org/ads^', [], ['1: path rule skipped']],
    ['||example.org^$third-party', [], ["1: browser modifier skipped ('$third-party'"]],
    ['/banner/*', [], ['1: not a domain rule']],
    ['|https://example.org|', [], ['1: path rule skipped']],
    ['||*.example.org^', [], ["1: not a domain name: '*.example.org' (wildcard"]],
    ['||bad..name^', [], ['1: ']],
  ])('%j', (text, entries, problems) => {
    const r = collect('adblock', text);
    expect(r.entries).toEqual(entries);
    expect(r.problems.length).toBe(problems.length);
    problems.forEach((p, i) => expect(r.problems[i]).toContain(p));
  });
});

describe('IP prefix lists', () => {
  it.each([
    ['198.51.100.0/24', [{ cidr: '198.51.100.0/24', line: 1 }], []],
    ['# comment\n2001:db8::/32  # v6\n192.0.2.7', [{ cidr: '2001:db8::/32', line: 2 }, { cidr: '192.0.2.7', line: 3 }], []],
    ['example.org', [], ['1: ']],
    ['10.0.0.0/33', [], ['1: ']],
    ['0.0.0.0/0', [], ['1: \'0.0.0.0/0\' is too broad']],
    ['fe80::1%eth0', [], ['1: ']],
  ])('%j', (text, entries, problems) => {
    const r = collect('prefixes', text);
    expect(r.entries).toEqual(entries);
    expect(r.problems.length).toBe(problems.length);
    problems.forEach((p, i) => expect(r.problems[i]).toContain(p));
  });

  it('matches answer addresses through the policy, most specific first', async () => {
    const file = path.join(tmp, 'nets.txt');
    writeFileSync(file, '198.51.100.0/24\n198.51.100.64/26\n');
    const policy = await buildPolicy([{ file, enabled: true, format: 'prefixes', ...META }], 0, 1);
    expect(policy.prefixCount).toBe(2);
    expect(policy.lists[0]?.entries).toBe(2);
    expect(policy.matchAddress(Uint8Array.from([198, 51, 100, 70]), true).map((e) => e.domain)).toEqual(['198.51.100.64/26', '198.51.100.0/24']);
    expect(policy.matchAddress(Uint8Array.from([198, 51, 101, 70]), true)).toEqual([]);
  });
});

const ZONE_HEAD = ['$TTL 60', '@ IN SOA localhost. root.localhost. ( 1 3600', '  600 86400 60 )', '  IN NS localhost.'];

describe('RPZ zone files', () => {
  it.each([
    ['exact NXDOMAIN', ['bad.test CNAME .'], [{ domain: 'bad.test', exact: true, allow: false }], []],
    ['name and wildcard become one suffix entry', ['bad.test CNAME .', '*.bad.test CNAME .'], [{ domain: 'bad.test', exact: false, allow: false }], []],
    ['wildcard alone covers the apex too', ['*.bad.test 60 IN CNAME *.'], [{ domain: 'bad.test', exact: false, allow: false }], []],
    ['drop is a block', ['drop.test CNAME rpz-drop.'], [{ domain: 'drop.test', exact: true, allow: false }], []],
    ['passthru is an allow entry', ['ok.bad.test CNAME rpz-passthru.'], [{ domain: 'ok.bad.test', exact: true, allow: true }], []],
    ['apex block, wildcard passthru', ['x.test CNAME .', '*.x.test CNAME rpz-passthru.'], [{ domain: 'x.test', exact: true, allow: false }, { domain: 'x.test', exact: false, allow: true }], []],
    ['IP trigger', ['32.1.2.0.192.rpz-ip CNAME .'], [], ["unsupported trigger 'rpz-ip'"]],
    ['NSDNAME trigger', ['ns.evil.test.rpz-nsdname CNAME .'], [], ["unsupported trigger 'rpz-nsdname'"]],
    ['client-IP trigger', ['32.1.0.0.127.rpz-client-ip CNAME rpz-passthru.'], [], ["unsupported trigger 'rpz-client-ip'"]],
    ['local data', ['bad.test A 192.0.2.1'], [], ['unsupported action: A local data']],
    ['redirect', ['bad.test CNAME walled.example.'], [], ['unsupported action: CNAME walled.example.']],
    ['inner wildcard', ['a.*.test CNAME .'], [], ["'*' is allowed only as the leftmost label"]],
    ['outside the zone', ['bad.other.zone. CNAME .'], [], ['outside the zone rpz.example.']],
  ])('%s', (_name, body, want, problems) => {
    const r = collect('rpz', ['$ORIGIN rpz.example.', ...ZONE_HEAD, ...body].join('\n')) as { entries: { domain: string; exact: boolean; allow?: boolean }[]; problems: string[] };
    expect(r.entries.map(({ domain, exact, allow }) => ({ domain, exact, allow: allow === true }))).toEqual(want);
    expect(r.problems.length).toBe(problems.length);
    problems.forEach((p, i) => expect(r.problems[i]).toContain(p));
  });

  it('takes the zone name from the SOA owner when there is no $ORIGIN, and reports lines by number', () => {
    const r = collect('rpz', ['rpz.example. 60 IN SOA localhost. root.localhost. 1 3600 600 86400 60', 'a.test.rpz.example. CNAME .', 'b.test CNAME .', 'c.test MX 10 x.'].join('\n'));
    expect((r.entries as { domain: string; line: number }[]).map((e) => [e.domain, e.line])).toEqual([['a.test', 2], ['b.test', 3]]);
    expect(r.problems).toEqual(['4: unsupported action: MX local data (hradba implements CNAME ., CNAME *., rpz-passthru. and rpz-drop.)']);
  });

  it('detects RPZ and AdBlock files', () => {
    expect(detectFormat('$TTL 60\n@ SOA a. b. 1 2 3 4 5\n')).toBe('rpz');
    expect(detectFormat('[Adblock Plus 2.0]\n||a.test^\n')).toBe('adblock');
    expect(detectFormat('! title\n||a.test^\n')).toBe('adblock');
    expect(detectFormat('a.test\n')).toBe('plain');
  });

  it('needs provenance in the config, like a plain list', () => {
    const l = parseList('||a.test^\n', { file: '/x.txt', enabled: true, format: 'adblock' });
    expect(l.fatal).toBe(true);
    expect(l.problems[0]?.message).toContain('needs id, vendor, basis');
  });
});

describe('RPZ export, then import: the same verdicts', () => {
  it('gives every name of a corpus the same verdict from the exported zone as from the original lists', async () => {
    const write = (name: string, text: string): string => {
      const file = path.join(tmp, name);
      writeFileSync(file, text);
      return file;
    };
    const lists: ListConfig[] = [
      {
        file: write('a.list', ['#@hradba-list 1', '#@id: alpha', '#@vendor: alpha', '#@basis: A | 2025 | Ban | https://example.org/a', 'alpha.test', '=exact.beta.test', 'deep.gamma.test', ''].join('\n')),
        enabled: true,
      },
      { file: write('b.txt', '||beta.test^\n@@||ok.beta.test^\n'), enabled: true, format: 'adblock', ...META, id: 'beta' },
      { file: write('c.txt', 'trial.test\n'), enabled: true, format: 'plain', mode: 'log-only', ...META, id: 'trial' },
    ];
    const policy = await buildPolicy(lists, 0, 1);
    const group = compileClientGroups({
      clients: [],
      groups: [{ name: 'default', clients: [], lists: null, exceptions: [{ domain: 'research.alpha.test', reason: 'testing', expires: null }] }],
    }).defaultGroup;
    const antiBypass = { firefoxCanary: true, icloudPrivateRelay: true, ddr: true, dohProviders: false };
    const now = Date.parse('2026-11-26T00:00:00Z');
    const loaded = await Promise.all(lists.map((l) => loadList(l, 0)));
    const zone = exportRpz({
      config: { file: '/cfg/hradba.yaml', sinkhole: { mode: 'nxdomain', ttlSec: 60, ipv4: null, ipv6: null, ede: true }, antiBypass },
      lists: loaded.map((l, i) => ({ info: policy.lists[i]!.info, loaded: l })),
      group,
      nowMs: now,
      origin: 'rpz.hradba.',
      verdict: (name) => {
        const v = decide({ policy, bypass: compileAntiBypass(antiBypass) }, group, name, now);
        return v.kind === 'block' ? 'block' : v.kind === 'bypass' ? (v.rule.answer === 'nodata' ? 'nodata' : 'block') : 'allow';
      },
    });
    expect(zone).toContain('; list alpha: vendor alpha (alpha); file');
    expect(zone).toContain('; basis: A, 2025: Ban <https://example.org/a>');
    expect(zone).toMatch(/^alpha\.test CNAME \. ; alpha .*a\.list:5$/m);

    const imported = await buildPolicy([{ file: write('export.rpz', zone), enabled: true, format: 'rpz', ...META }], 0, 1);
    const plainGroup = compileClientGroups({ clients: [], groups: [] }).defaultGroup;
    const none = compileAntiBypass({ firefoxCanary: false, icloudPrivateRelay: false, ddr: false, dohProviders: false });
    const blocked = (kind: string): boolean => kind === 'block' || kind === 'bypass';
    const corpus = [
      'alpha.test', 'www.alpha.test', 'research.alpha.test', 'x.research.alpha.test', 'exact.beta.test', 'beta.test', 'a.b.beta.test',
      'ok.beta.test', 'x.ok.beta.test', 'sub.exact.beta.test', 'a.sub.exact.beta.test', 'gamma.test', 'deep.gamma.test', 'a.deep.gamma.test', 'trial.test', 'www.trial.test',
      'use-application-dns.net', 'mask.icloud.com', 'mask-h2.icloud.com', '_dns.resolver.arpa', 'resolver.arpa', 'example.org', 'test',
    ];
    const original = corpus.map((n) => [n, blocked(decide({ policy, bypass: compileAntiBypass(antiBypass) }, group, n, now).kind)]);
    const roundTrip = corpus.map((n) => [n, blocked(decide({ policy: imported, bypass: none }, plainGroup, n, now).kind)]);
    expect(roundTrip).toEqual(original);
    // The corpus has both outcomes, so the comparison can fail.
    expect(original.filter(([, b]) => b).length).toBeGreaterThan(5);
    expect(original.filter(([, b]) => !b).length).toBeGreaterThan(5);
  });
});
