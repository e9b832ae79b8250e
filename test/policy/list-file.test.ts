/** Reading lists: the three formats, bad lines located by file:line, format detection and load failures. */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ListConfig } from '../../src/config/types.js';
import { HradbaError } from '../../src/errors.js';
import { detectFormat, loadList, parseBasis, parseList } from '../../src/policy/list-file.js';
import { NODE_BIN, REPO_ROOT } from '../helpers/paths.js';

const fixtures = fileURLToPath(new URL('../fixtures/lists/', import.meta.url));
const fixture = (name: string): string => path.join(fixtures, name);

const BASIS = [{ authority: 'Example Authority', date: '2025-01-01', title: 'Example ban', url: 'https://example.org/ban' }];
const plainMeta = { id: 'extra', vendor: 'example', vendorName: 'Example Ltd.', basis: BASIS } as const;

/** entriesOf shows entries compactly: '=name' for exact ones, with their line. */
function entriesOf(list: { entries: readonly { domain: string; exact: boolean; line: number }[] }): string[] {
  return list.entries.map((e) => `${e.line}:${e.exact ? '=' : ''}${e.domain}`);
}

async function loadError(cfg: ListConfig, maxBadLines = 100): Promise<HradbaError> {
  try {
    await loadList(cfg, maxBadLines);
  } catch (err) {
    if (err instanceof HradbaError) return err;
    throw err;
  }
  throw new Error('loadList did not fail');
}

const tmp = mkdtempSync(path.join(tmpdir(), 'hradba-lists-'));
// Searchable by others: the permission test loads a file here as another user when the tests run as root.
chmodSync(tmp, 0o755);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The uid 65534 (nobody) that root switches to, so that a file's permissions mean something again. */
const NOBODY = 65534;

/** loadProblemsAsNobody loads a list with the built loadList in a child process running as uid 65534 (via setpriv). */
function loadProblemsAsNobody(cfg: ListConfig): Promise<{ uid: number; problems: unknown }> {
  const moduleUrl = pathToFileURL(path.join(REPO_ROOT, 'dist', 'policy', 'list-file.js')).href;
  const script = [
    `import { loadList } from ${JSON.stringify(moduleUrl)};`,
    'let problems = null;',
    `try { await loadList(${JSON.stringify(cfg)}, 100); } catch (err) { problems = err.problems; }`,
    'console.log(JSON.stringify({ uid: process.getuid(), problems }));',
  ].join('\n');
  const args = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', NODE_BIN, '--input-type=module', '-e', script];
  return new Promise((resolve, reject) => {
    execFile('setpriv', args, { timeout: 30_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`setpriv run failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout) as { uid: number; problems: unknown });
    });
  });
}

describe('hradba format', () => {
  it('reads metadata and entries of a good list', async () => {
    const list = await loadList({ file: fixture('good.list'), enabled: true }, 0);
    expect(list.format).toBe('hradba');
    expect(list.problems).toEqual([]);
    expect(list.info).toEqual({
      id: 'example-vendor',
      file: fixture('good.list'),
      vendor: 'example',
      vendorName: 'Example Vendor Ltd.',
      basis: [
        { authority: 'Example Authority, Czech Republic', date: '2025-07-09', title: 'Ban on Example products', url: 'https://example.org/ban' },
        { authority: 'Second Authority', date: '2024-01', title: 'Warning | with a pipe in the title', url: 'https://example.net/warning' },
      ],
      sources: ['test fixture'],
      generated: '2026-01-01',
    });
    expect(entriesOf(list)).toEqual([
      '11:example.org',
      '12:tracker.example.net',
      '13:=api.example.test',
      '14:xn--pklad-zsa96e.test',
      '15:_dmarc.service.test',
    ]);
  });

  it('reports every bad line with its line number and keeps the good ones', () => {
    const file = fixture('bad-lines.list');
    const text = `#@hradba-list 1
#@id: bad-lines
#@vendor: example
#@basis: Example Authority | 2025-07-09 | Ban | https://example.org/ban
#@colour: blue
ok.example.org
foo bar.example.org
${'a'.repeat(71)}.example.org
*.wild.example.org
a..b.example.org
=
#@id: too-late
also-ok.example.net
#@end: 7
`;
    const list = parseList(text, { file, enabled: true });
    expect(list.fatal).toBe(false);
    expect(entriesOf(list)).toEqual(['6:ok.example.org', '13:also-ok.example.net']);
    // Seven bad lines: a count line with the reasons, then the first five as samples.
    expect(list.report.badLines).toBe(7);
    expect(list.report.reasons).toEqual({
      "unknown directive '…'": 1,
      'not a domain name': 2,
      'label longer than 63 octets': 1,
      "empty label in '…'": 1,
      'empty name': 1,
      "directive '…' after the first entry is ignored": 1,
    });
    expect(list.problems.map((p) => [p.file, p.line])).toEqual([
      [file, 0],
      [file, 5],
      [file, 7],
      [file, 8],
      [file, 9],
      [file, 10],
    ]);
    const messages = list.problems.map((p) => p.message);
    expect(messages[0]).toContain('7 bad lines (');
    expect(messages[0]).toContain('2 not a domain name');
    expect(messages[1]).toBe("unknown directive '#@colour'");
    expect(messages[2]).toBe("not a domain name: 'foo bar.example.org' (character space not allowed)");
    expect(messages[3]).toContain('label longer than 63 octets');
    expect(messages[4]).toContain("wildcard '*' not supported");
    expect(messages[5]).toContain('empty label');
  });

  it('the fixture file on disk gives the same problems', async () => {
    const list = await loadList({ file: fixture('bad-lines.list'), enabled: true }, 10);
    expect(list.problems.map((p) => p.line)).toEqual([0, 5, 7, 8, 9, 10]);
    expect(list.report.badLines).toBe(7);
  });

  it('a header without id, vendor or basis is fatal, named at line 0', async () => {
    const err = await loadError({ file: fixture('no-meta.list'), enabled: true });
    expect(err.code).toBe('HRADBA_ERR_LIST');
    expect(err.problems[0]).toEqual({ file: fixture('no-meta.list'), line: 0, message: "hradba list header lacks '#@id', '#@vendor', '#@basis' (at least one)" });
    expect(err.message).toBe(`${fixture('no-meta.list')}: hradba list header lacks '#@id', '#@vendor', '#@basis' (at least one)`);
  });

  it('bad basis lines are reported; with none left the list is fatal', () => {
    const list = parseList(
      `#@hradba-list 1
#@id: bad-basis
#@vendor: example
#@basis: Only an authority | 2025-07-09
#@basis: Authority | 9 July 2025 | Title | https://example.org/
#@basis: Authority | 2025-07-09 | Title | ftp://example.org/
example.org
#@end: 1
`,
      { file: 'bad-basis.list', enabled: true },
    );
    expect(list.fatal).toBe(true);
    expect(list.problems).toEqual([
      { file: 'bad-basis.list', line: 0, message: "hradba list header lacks '#@basis' (at least one)" },
      { file: 'bad-basis.list', line: 4, message: "basis needs 'authority | date | title | url', got 2 field(s)" },
      { file: 'bad-basis.list', line: 5, message: "basis date '9 July 2025' is not YYYY, YYYY-MM or YYYY-MM-DD" },
      { file: 'bad-basis.list', line: 6, message: "basis url 'ftp://example.org/' is not an http(s) URL" },
    ]);
  });

  it('an unknown format version is fatal', async () => {
    const err = await loadError({ file: fixture('version2.list'), enabled: true });
    expect(err.problems[0]).toEqual({
      file: fixture('version2.list'),
      line: 1,
      message: "unsupported list format version '2' (this hradba reads 1)",
    });
  });

  it('format: hradba without the magic line is fatal', () => {
    const list = parseList('example.org\n', { file: 'x.list', enabled: true, format: 'hradba' });
    expect(list.fatal).toBe(true);
    expect(list.problems[0]?.message).toContain("the first line must be '#@hradba-list 1'");
  });

  it('metadata in the config entry of a hradba list is fatal; match is only ignored', () => {
    const text = '#@hradba-list 1\n#@id: a\n#@vendor: v\n#@basis: A | 2025 | T | https://example.org/\nexample.org\n#@end: 1\n';
    const withId = parseList(text, { file: 'a.list', enabled: true, id: 'other' });
    expect(withId.fatal).toBe(true);
    expect(withId.problems[0]?.message).toContain('remove id from its config entry');
    const withMatch = parseList(text, { file: 'a.list', enabled: true, match: 'exact' });
    expect(withMatch.fatal).toBe(false);
    expect(withMatch.problems).toHaveLength(1);
    expect(withMatch.entries[0]?.exact).toBe(false);
  });

  it('reads CRLF files and a byte-order mark', async () => {
    const list = await loadList({ file: fixture('crlf.list'), enabled: true }, 0);
    expect(list.info.id).toBe('crlf');
    expect(entriesOf(list)).toEqual(['5:example.org', '6:=exact.example.net']);
    const bom = parseList('\uFEFF#@hradba-list 1\n#@id: b\n#@vendor: v\n#@basis: A | 2025 | T | https://example.org/\nexample.org\n#@end: 1\n', {
      file: 'bom.list',
      enabled: true,
    });
    expect(bom.format).toBe('hradba');
    expect(bom.problems).toEqual([]);
  });
});

describe('parseBasis', () => {
  it.each([
    ['A | 2025-07-09 | T | https://example.org/x', { authority: 'A', date: '2025-07-09', title: 'T', url: 'https://example.org/x' }],
    ['A | 2025-07 | T | http://example.org/', { authority: 'A', date: '2025-07', title: 'T', url: 'http://example.org/' }],
    ['A|2025|T1|T2|https://example.org/', { authority: 'A', date: '2025', title: 'T1 | T2', url: 'https://example.org/' }],
  ])('%s', (text, expected) => {
    expect(parseBasis(text)).toEqual(expected);
  });

  it.each([
    [' | 2025 | T | https://example.org/', 'empty authority'],
    ['A | 2025 |  | https://example.org/', 'empty title'],
    ['A | 2025-7-9 | T | https://example.org/', "date '2025-7-9'"],
    ['A | 2025 | T | example.org', "url 'example.org'"],
  ])('%s → %s', (text, message) => {
    expect((parseBasis(text) as { error: string }).error).toContain(message);
  });
});

describe('plain format', () => {
  it('reads entries as suffix entries, metadata from the config', async () => {
    const list = await loadList({ file: fixture('plain.txt'), enabled: true, ...plainMeta }, 10);
    expect(list.format).toBe('plain');
    expect(list.info).toEqual({ id: 'extra', file: fixture('plain.txt'), vendor: 'example', vendorName: 'Example Ltd.', basis: BASIS });
    expect(entriesOf(list)).toEqual(['2:example.org', '3:sub.example.net', '4:example.test']);
    expect(list.problems).toEqual([
      { file: fixture('plain.txt'), line: 6, message: "not a domain name: 'not a domain' (character space not allowed)" },
      { file: fixture('plain.txt'), line: 7, message: "not a domain name: '||adblock.example.org^' (character '|' not allowed)" },
    ]);
  });

  it('match: exact makes plain entries exact', () => {
    const list = parseList('example.org\n', { file: 'p.txt', enabled: true, format: 'plain', match: 'exact', ...plainMeta });
    expect(entriesOf(list)).toEqual(['1:=example.org']);
  });

  it('without id, vendor and basis in the config the list is fatal, naming what is missing', async () => {
    const err = await loadError({ file: fixture('plain.txt'), enabled: true, vendor: 'example' });
    expect(err.problems).toContainEqual({
      file: fixture('plain.txt'),
      line: 0,
      message: 'a plain list has no metadata of its own: its config entry needs id, basis',
    });
  });

  it('vendorName defaults to the vendor id', () => {
    const list = parseList('example.org\n', { file: 'p.txt', enabled: true, id: 'x', vendor: 'example', basis: BASIS });
    expect(list.info.vendorName).toBe('example');
  });
});

describe('hosts format', () => {
  it('reads names after an address, skips loopback furniture, entries exact', async () => {
    const file = fixture('hosts.txt');
    const list = await loadList({ file, enabled: true, ...plainMeta }, 10);
    expect(list.format).toBe('hosts');
    expect(entriesOf(list)).toEqual([
      '8:=ads.example.org',
      '9:=one.example.net',
      '9:=two.example.net',
      '10:=six.example.test',
      '11:=tab.example.org',
      '14:=good.example.org',
    ]);
    expect(list.problems).toEqual([
      { file, line: 12, message: "not a hosts line: '999.1.1.1' is not an IP address" },
      { file, line: 13, message: "hosts line has no name after '0.0.0.0'" },
      { file, line: 14, message: "not a domain name: 'bad_name!.example.org' (character '!' not allowed)" },
    ]);
  });

  it('match: suffix makes hosts entries cover subdomains', () => {
    const list = parseList('0.0.0.0 ads.example.org\n', { file: 'h', enabled: true, format: 'hosts', match: 'suffix', ...plainMeta });
    expect(entriesOf(list)).toEqual(['1:ads.example.org']);
  });

  it('needs its metadata in the config too', () => {
    const list = parseList('0.0.0.0 ads.example.org\n', { file: 'h', enabled: true, format: 'hosts' });
    expect(list.fatal).toBe(true);
    expect(list.problems[0]?.message).toBe('a hosts list has no metadata of its own: its config entry needs id, vendor, basis');
  });
});

describe('detectFormat', () => {
  it.each([
    ['#@hradba-list 1\nexample.org\n', 'hradba'],
    ['\n\n  #@hradba-list 1\n', 'hradba'],
    ['\uFEFF#@hradba-list 1\n', 'hradba'],
    // the magic line counts only as the first non-empty line
    ['# comment\n#@hradba-list 1\nexample.org\n', 'plain'],
    ['# comment\n0.0.0.0 ads.example.org\n', 'hosts'],
    ['127.0.0.1\tads.example.org\n', 'hosts'],
    [':: ads.example.org\n', 'hosts'],
    ['example.org\n0.0.0.0 ads.example.org\n', 'plain'],
    ['1.2.3.4\n', 'plain'],
    ['999.0.0.1 a.example.org\n', 'plain'],
    ['', 'plain'],
    ['# only comments\n', 'plain'],
  ])('%j → %s', (text, expected) => {
    expect(detectFormat(text)).toBe(expected);
  });

  it('an explicit format wins over detection', () => {
    const list = parseList('0.0.0.0 ads.example.org\nok.example.org\n', { file: 'x', enabled: true, format: 'plain', ...plainMeta });
    expect(list.format).toBe('plain');
    expect(entriesOf(list)).toEqual(['2:ok.example.org']);
    expect(list.problems).toHaveLength(1);
  });
});

describe('loadList failures', () => {
  it('more bad lines than maxBadLines fails the list with every problem', async () => {
    const file = path.join(tmp, 'many-bad.txt');
    writeFileSync(file, ['good.example.org', 'bad name 1', 'bad name 2', 'bad name 3'].join('\n'));
    const cfg: ListConfig = { file, enabled: true, ...plainMeta };
    await expect(loadList(cfg, 3)).resolves.toMatchObject({ problems: { length: 3 } });
    const err = await loadError(cfg, 2);
    expect(err.code).toBe('HRADBA_ERR_LIST');
    expect(err.message).toBe(`${file}: 3 bad lines (limit 2)`);
    expect(err.problems.map((p) => p.line)).toEqual([2, 3, 4]);
  });

  it('a missing file fails with a located reason', async () => {
    const file = path.join(tmp, 'does-not-exist.list');
    const err = await loadError({ file, enabled: true });
    expect(err.code).toBe('HRADBA_ERR_LIST');
    expect(err.message).toBe(`${file}: cannot read list: no such file`);
    expect(err.problems).toEqual([{ file, line: 0, message: 'cannot read list: no such file' }]);
  });

  it('a directory fails with a located reason', async () => {
    const err = await loadError({ file: tmp, enabled: true });
    expect(err.problems).toEqual([{ file: tmp, line: 0, message: 'cannot read list: is a directory' }]);
  });

  it('an unreadable file fails with a located reason (as root, loaded as uid 65534: root reads any file)', async () => {
    const file = path.join(tmp, 'unreadable.list');
    writeFileSync(file, 'example.org\n');
    chmodSync(file, 0o000);
    const cfg: ListConfig = { file, enabled: true, ...plainMeta };
    const { uid, problems } = process.getuid?.() === 0 ? await loadProblemsAsNobody(cfg) : { uid: process.getuid?.() ?? '?', problems: (await loadError(cfg)).problems };
    expect(uid).not.toBe(0);
    expect(problems).toEqual([{ file, line: 0, message: `cannot read list: permission denied: make it readable by the user hradba runs as (uid ${uid})` }]);
  });
});

describe('size', () => {
  it('parses a 200,000-line list completely', () => {
    const lines = ['#@hradba-list 1', '#@id: big', '#@vendor: v', '#@basis: A | 2025 | T | https://example.org/'];
    for (let i = 0; i < 200_000; i++) lines.push(`host${i}.example${i % 97}.org`);
    lines.push('#@end: 200000');
    const list = parseList(lines.join('\n'), { file: 'big.list', enabled: true });
    expect(list.problems).toEqual([]);
    expect(list.entries).toHaveLength(200_000);
    expect(list.entries[199_999]).toEqual({ domain: 'host199999.example82.org', exact: false, line: 200_004 });
  });
});
