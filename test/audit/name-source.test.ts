/** Reading names to audit: one a line, hosts lines, adblock rules, ranking CSVs with or without a header, gzip. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { namesOfLine, readNames } from '../../src/audit/name-source.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'hradba-names-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('namesOfLine', () => {
  it.each([
    ['tiktok.com', ['tiktok.com']],
    ['  WWW.Example.ORG.  # comment', ['www.example.org']],
    ['1,google.com', ['google.com']],
    ['7200,tiktokcdn-eu.net', ['tiktokcdn-eu.net']],
    ['0.0.0.0 a.example b.example', ['a.example', 'b.example']],
    [':: ads.example', ['ads.example']],
    ['127.0.0.1 localhost', []],
    ['||ads.example^', ['ads.example']],
    ['||ads.example^$important', ['ads.example']],
    ['*.cdn.example', ['cdn.example']],
    ['"quoted.example"', ['quoted.example']],
    ['# only a comment', []],
    ['! adblock comment', []],
    ['', []],
  ])('%j → %j', (line, want) => {
    expect(namesOfLine(line)).toEqual(want);
  });

  it.each(['not a name', 'single', '0.0.0.0 bad!name.example', 'http://x.example/'])('%j holds no name', (line) => {
    expect(namesOfLine(line)).toBeNull();
  });
});

describe('readNames', () => {
  it('skips a CSV header, counts and samples the lines without a name (five at most)', async () => {
    const file = path.join(tmp, 'ranking.csv');
    writeFileSync(file, ['rank,domain', '1,a.example', ...Array.from({ length: 7 }, (_, i) => `junk ${i}`), '2,b.example', ''].join('\n'));
    const names: string[] = [];
    const stats = await readNames(file, (n) => names.push(n));
    expect(names).toEqual(['a.example', 'b.example']);
    expect(stats).toMatchObject({ lines: 10, names: 2, header: true, unreadable: 7 });
    expect(stats.samples).toEqual([3, 4, 5, 6, 7].map((n) => `${file}:${n}: junk ${n - 3}`));
  });

  it('reads a gzip file as its content', async () => {
    const file = path.join(tmp, 'radar.csv.gz');
    writeFileSync(file, gzipSync('domain\nx.example\ny.example\n'));
    const names: string[] = [];
    const stats = await readNames(file, (n) => names.push(n));
    expect(names).toEqual(['x.example', 'y.example']);
    expect(stats.header).toBe(true);
  });

  it('fails on a corrupt gzip stream and on a missing file', async () => {
    const file = path.join(tmp, 'broken.gz');
    writeFileSync(file, Buffer.concat([gzipSync('a.example\n'.repeat(1000)).subarray(0, 30)]));
    await expect(readNames(file, () => undefined)).rejects.toThrow();
    await expect(readNames(path.join(tmp, 'missing.txt'), () => undefined)).rejects.toThrow(/ENOENT/);
  });
});
