/**
 * Each reader's line shapes, real ones included (AdGuard's DNS filter exceptions, hagezi wildcard lists,
 * StevenBlack hosts), the bounded problem report, empty lists, duplicates and the `#@end` trailer.
 */
import { describe, expect, it } from 'vitest';
import type { ListConfig } from '../../src/config/types.js';
import { detectFormat, parseList, type LoadedList } from '../../src/policy/list-file.js';
import { compilePolicy, PolicyCompiler, policyFromData } from '../../src/policy/compiled-policy.js';

const META = { id: 'third', vendor: 'example', basis: [{ authority: 'A', date: '2026', title: 'T', url: 'https://example.org/' }] };

function read(text: string, cfg: Partial<ListConfig> = {}): LoadedList {
  return parseList(text, { file: 'l.txt', enabled: true, ...META, ...cfg });
}

/** entriesOf shows entries as 'line:[@@][=]name' ('@@' an allow entry, '=' the name only). */
function entriesOf(list: LoadedList): string[] {
  return list.entries.map((e) => `${e.line}:${e.allow === true ? '@@' : ''}${e.exact ? '=' : ''}${e.domain}`);
}

const lineProblems = (list: LoadedList): string[] => list.problems.filter((p) => p.line > 0).map((p) => `${p.line}: ${p.message}`);

describe('AdGuard DNS syntax', () => {
  it('reads the anchors as AdGuard does: || the name and below, | ... | the name only', () => {
    const text = ['|c.test^|', '||a.test^', '||b.test^|', '|d.test^', '|e.test|', ''].join('\n');
    expect(detectFormat(text)).toBe('adblock');
    const l = read(text, { format: 'adblock' });
    expect(entriesOf(l)).toEqual(['1:=c.test', '2:a.test', '3:b.test', '4:=d.test', '5:=e.test']);
    expect(l.problems).toEqual([]);
  });

  it("reads AdGuard's DNS filter exceptions (every line '@@||name^|') as allow entries", () => {
    const text = [
      '! Title: AdGuard DNS filter exceptions',
      '! Description: rules that unblock names other filters block by mistake',
      '!',
      '@@||adguard.com^|',
      '@@||dns.adguard-dns.com^|',
      '@@||login.microsoftonline.com^|',
      '@@|exact.example.net^|',
      '',
    ].join('\n');
    expect(detectFormat(text)).toBe('adblock');
    const l = read(text);
    expect(l.fatal).toBe(false);
    expect(entriesOf(l)).toEqual(['4:@@adguard.com', '5:@@dns.adguard-dns.com', '6:@@login.microsoftonline.com', '7:@@=exact.example.net']);
    expect(l.problems).toEqual([]);
  });

  it('an exception beats a block of the same name wherever the two stand; $important beats the exception', () => {
    const text = ['||late.test^', '@@||late.test^', '@@||early.test^', '||early.test^', '||imp.test^$important', '@@||imp.test^', '@@||sub.imp.test^', '@@||both.test^$important', '||both.test^$important', ''].join('\n');
    const l = read(text, { format: 'adblock' });
    expect(entriesOf(l)).toEqual(['2:@@late.test', '3:@@early.test', '5:imp.test', '8:@@both.test']);
    const policy = policyFromData(compilePolicy([l]), 1);
    expect(policy.match('late.test')?.allow).toBe(true);
    expect(policy.match('early.test')?.allow).toBe(true);
    expect(policy.match('x.sub.imp.test')?.allow).toBeUndefined();
    expect(policy.match('x.sub.imp.test')?.domain).toBe('imp.test');
    expect(policy.match('both.test')?.allow).toBe(true);
  });

  it('skips and counts browser rules; DNS modifiers hradba does not implement are bad lines', () => {
    const text = [
      '||ok.test^',
      'example.org##.banner',
      'example.org#@#.banner',
      '||ads.test/path^',
      '||ads.test^$third-party',
      '||ads.test^$script,domain=example.org',
      '||v6only.test^$dnstype=AAAA',
      '||rewrite.test^$dnsrewrite=1.2.3.4',
      '/^ad[0-9]+\\./',
      '',
    ].join('\n');
    const l = read(text, { format: 'adblock' });
    expect(entriesOf(l)).toEqual(['1:ok.test']);
    expect(l.report.skippedLines).toBe(5);
    expect(l.report.badLines).toBe(3);
    expect(l.report.reasons).toMatchObject({ 'cosmetic rule skipped': 2, 'path rule skipped': 1, "browser modifier skipped": 2, "unsupported DNS modifier '…'": 2, 'regular expression rule not supported': 1 });
  });
});

describe('wildcard lines', () => {
  it("reads hagezi's wildcard list: '*.name' is the name and every name below it", () => {
    const text = ['# Title: HaGeZi\'s Native Tracker DNS Blocklist - TikTok', '# Syntax: Wildcard', '*.tiktokv.com', '*.byteoversea.com', '*.ibyteimg.com', ''].join('\n');
    expect(detectFormat(text)).toBe('wildcard');
    const l = read(text);
    expect(l.format).toBe('wildcard');
    expect(entriesOf(l)).toEqual(['3:tiktokv.com', '4:byteoversea.com', '5:ibyteimg.com']);
    expect(l.problems).toEqual([]);
  });

  it("in a plain list too, even with match: exact ('*.' always means below)", () => {
    const l = read(['exact.test', '*.wide.test', ''].join('\n'), { format: 'plain', match: 'exact' });
    expect(entriesOf(l)).toEqual(['1:=exact.test', '2:wide.test']);
  });

  it("'*' elsewhere is still no name", () => {
    const l = read(['ok.test', 'a.*.test', '*', ''].join('\n'), { format: 'wildcard' });
    expect(entriesOf(l)).toEqual(['1:ok.test']);
    expect(l.report.badLines).toBe(2);
  });
});

describe('hosts files', () => {
  it("reads StevenBlack's hosts file: its header furniture silently, its entries exact", () => {
    const text = [
      '# Title: StevenBlack/hosts',
      '127.0.0.1 localhost',
      '127.0.0.1 localhost.localdomain',
      '127.0.0.1 local',
      '255.255.255.255 broadcasthost',
      '::1 localhost',
      '::1 ip6-localhost ip6-loopback',
      'fe80::1%lo0 localhost',
      'ff00::0 ip6-localnet',
      'ff02::1 ip6-allnodes',
      '0.0.0.0 0.0.0.0',
      '# Custom host records are listed here.',
      '0.0.0.0 ad-assets.futurecdn.net',
      '0.0.0.0 tracker.example.com # a comment',
      '',
    ].join('\n');
    const l = read(text);
    expect(l.format).toBe('hosts');
    expect(entriesOf(l)).toEqual(['13:=ad-assets.futurecdn.net', '14:=tracker.example.com']);
    expect(l.problems).toEqual([]);
  });

  it('reports an address in the name column', () => {
    const l = read(['0.0.0.0 ok.test', '0.0.0.0 54.222.186.106', ''].join('\n'), { format: 'hosts' });
    expect(entriesOf(l)).toEqual(['1:=ok.test']);
    expect(lineProblems(l)).toEqual(["2: an address in the name column: '54.222.186.106' (a hosts file blocks names; an address cannot be blocked by name)"]);
    expect(l.report.badLines).toBe(1);
  });

  it('skips a mapping to a real address with a warning by default, blocks it with hostsMappings: block', () => {
    const text = ['0.0.0.0 ok.test', '192.168.1.10 nas.example.lan', '2001:db8::5 v6.example.lan', '127.0.0.2 loop.test', ''].join('\n');
    const skip = read(text, { format: 'hosts' });
    expect(entriesOf(skip)).toEqual(['1:=ok.test', '4:=loop.test']);
    expect(lineProblems(skip)).toEqual([
      "2: hosts mapping skipped: 'nas.example.lan' is mapped to 192.168.1.10, a real address, not blocked (set 'hostsMappings: block' to block such lines)",
      "3: hosts mapping skipped: 'v6.example.lan' is mapped to 2001:db8::5, a real address, not blocked (set 'hostsMappings: block' to block such lines)",
    ]);
    // Skipped, not bad: they do not count against maxBadLines.
    expect(skip.report).toMatchObject({ badLines: 0, skippedLines: 2 });
    const block = read(text, { format: 'hosts', hostsMappings: 'block' });
    expect(entriesOf(block)).toEqual(['1:=ok.test', '2:=nas.example.lan', '3:=v6.example.lan', '4:=loop.test']);
    expect(block.problems).toEqual([]);
  });
});

describe('bounded problem report', () => {
  it('50,000 bad lines give a count per reason and five samples, each short', () => {
    const lines: string[] = [];
    for (let i = 0; i < 50_000; i++) lines.push(i % 2 === 0 ? `bad name ${i}` : `${'x'.repeat(70)}.label${i}.test`);
    const l = read(`${lines.join('\n')}\n`, { format: 'plain' });
    expect(l.report.badLines).toBe(50_000);
    expect(l.report.reasons).toEqual({ 'not a domain name': 25_000, 'label longer than 63 octets': 25_000 });
    expect(l.problems).toHaveLength(1 + 1 + 5);
    expect(l.problems[1]?.message).toBe('50,000 bad lines (25,000 not a domain name, 25,000 label longer than 63 octets); the first 5 follow');
    expect(l.problems.slice(2).map((p) => p.line)).toEqual([1, 2, 3, 4, 5]);
    expect(JSON.stringify(l.problems).length).toBeLessThan(4096);
  });

  it('a line as long as a file is quoted short', () => {
    const l = read(`ok.test\n${'y'.repeat(100_000)} z\n`, { format: 'plain' });
    expect(l.problems[0]?.message.length).toBeLessThanOrEqual(200);
  });
});

describe('empty lists', () => {
  it('a list that yields no entry fails, naming why', () => {
    const l = read(['# only comments', 'bad name', ''].join('\n'), { format: 'plain' });
    expect(l.fatal).toBe(true);
    expect(l.problems[0]?.message).toBe("the list yields no entry: every line with data was rejected or skipped (1); a list empty on purpose says so with 'mayBeEmpty: reason' in its config entry");
  });

  it("unless it says why: '#@empty' in a hradba list, mayBeEmpty in the config", () => {
    const hradba = parseList(['#@hradba-list 1', '#@id: none', '#@vendor: v', '#@basis: A | 2025 | T | https://example.org/', '#@empty: no domain known', '#@end: 0', ''].join('\n'), { file: 'e.list', enabled: true });
    expect(hradba.fatal).toBe(false);
    expect(hradba.emptyReason).toBe('no domain known');
    const noReason = parseList(['#@hradba-list 1', '#@id: none', '#@vendor: v', '#@basis: A | 2025 | T | https://example.org/', '#@end: 0', ''].join('\n'), { file: 'e.list', enabled: true });
    expect(noReason.fatal).toBe(true);
    expect(noReason.problems[0]?.message).toContain("'#@empty: reason' in its header");
    expect(read('# nothing yet\n', { format: 'plain', mayBeEmpty: 'filled by the agency later' }).fatal).toBe(false);
  });
});

describe('duplicates', () => {
  it('are counted apart from distinct entries', () => {
    const l = read(['a.test', 'b.test', 'a.test', 'A.TEST.', '*.b.test', ''].join('\n'), { format: 'plain' });
    expect(l.entryCount).toBe(5);
    const compiler = new PolicyCompiler();
    const first = compiler.sinkFor(0);
    for (const e of l.entries) first(e.domain, e.exact, e.line);
    // A second list naming a.test again: held by the first list, so no duplicate of its own.
    const second = compiler.sinkFor(1);
    second('a.test', false, 1);
    second('c.test', false, 2);
    expect(compiler.countsOf(0)).toEqual({ distinct: 2, duplicates: 3 });
    expect(compiler.countsOf(1)).toEqual({ distinct: 1, duplicates: 0 });
  });
});

describe("hradba's '#@end' trailer", () => {
  const head = ['#@hradba-list 1', '#@id: t', '#@vendor: v', '#@basis: A | 2025 | T | https://example.org/'];
  const parse = (lines: string[]): LoadedList => parseList(lines.join('\n'), { file: 't.list', enabled: true });

  it('a matching trailer, even without its newline, vouches for the file', () => {
    const l = parse([...head, 'a.test', 'bad name', '=b.test', '#@end: 3']);
    expect(l.fatal).toBe(false);
    expect(l.sealed).toBe(true);
    expect(entriesOf(l)).toEqual(['5:a.test', '7:=b.test']);
  });

  it('a count that does not match, or content after it, makes the list unusable', () => {
    const short = parse([...head, 'a.test', '#@end: 2', '']);
    expect(short.fatal).toBe(true);
    expect(short.problems[0]).toEqual({ file: 't.list', line: 6, message: "'#@end: 2' but the file has 1 entry line: it was cut or changed; the list is refused" });
    const after = parse([...head, 'a.test', '#@end: 1', 'b.test', '']);
    expect(after.fatal).toBe(true);
    expect(after.problems[0]?.message).toContain("content after the '#@end' trailer");
  });

  it('without a trailer the list works, with a warning; a last line without newline is not used', () => {
    const l = parse([...head, 'a.test', 'b.te']);
    expect(l.fatal).toBe(false);
    expect(entriesOf(l)).toEqual(['5:a.test']);
    expect(l.problems.map((p) => p.line)).toEqual([0, 6]);
    expect(l.problems[0]?.message).toContain("no '#@end: N' trailer");
    expect(l.problems[1]?.message).toContain('last line has no newline: the file may be cut');
  });
});
