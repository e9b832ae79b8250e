/**
 * Lists as their publishers mean them, on a real process: AdGuard's DNS filter exceptions, hagezi wildcard
 * lists, hosts files with addresses and mappings; bounded problem reports in `check`, at start and in the
 * log; empty lists; duplicates counted apart.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dig, parseDig, rdata } from '../helpers/dig.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { testConfig } from '../helpers/test-config.js';

const SINKHOLE = { mode: 'null', ttl: '60s', ipv4: null, ipv6: null, ede: true };
const BASIS = [{ authority: 'Test Authority', date: '2026', title: 'Third-party list', url: 'https://example.org/list' }];
const meta = (id: string): Record<string, unknown> => ({ id, vendor: id, basis: BASIS });

let nsd: NsdServer;
beforeAll(async () => {
  nsd = await startNsd();
});
afterAll(async () => {
  await nsd?.stop();
});

/** answerOf returns the A records hradba gives for the name ('0.0.0.0' is the sinkhole). */
async function answerOf(port: number, name: string): Promise<string[]> {
  return rdata(parseDig((await dig({ port }, [name, 'A'])).stdout), 'A');
}

describe('third-party formats in one running policy', () => {
  let hradba: HradbaProcess;
  beforeAll(async () => {
    hradba = await startHradba({
      config: testConfig(nsd.port, {
        sinkhole: SINKHOLE,
        lists: [
          { file: 'block.txt', format: 'plain', ...meta('block') },
          // AdGuard's DNS filter exceptions.txt: every rule is '@@||name^|'.
          { file: 'exceptions.txt', ...meta('adguard-exceptions') },
          { file: 'wildcard.txt', ...meta('hagezi-wildcard') },
          { file: 'hosts.txt', ...meta('hosts') },
          { file: 'dups.txt', format: 'plain', ...meta('dups') },
        ],
      }),
      lists: {
        'block.txt': 'example.test\n',
        'exceptions.txt': ['! Title: AdGuard DNS filter exceptions', '@@||www.example.test^|', '@@||alias.example.test^|', ''].join('\n'),
        'wildcard.txt': ['# Title: HaGeZi Wildcard', '*.banned-vendor.test', ''].join('\n'),
        'hosts.txt': ['# Title: community hosts', '0.0.0.0 ads.example.net', '0.0.0.0 54.222.186.106', '192.168.1.10 exact.example.net', ''].join('\n'),
        'dups.txt': ['dup.example.net', 'dup.example.net', 'other.example.net', ''].join('\n'),
      },
    });
  });
  afterAll(async () => {
    await hradba?.stop();
  });

  it("serves with AdGuard's exceptions: '@@||name^|' lets the name through a block above it", async () => {
    expect(await answerOf(hradba.port, 'www.example.test')).toEqual(['192.0.2.10']);
    expect(await answerOf(hradba.port, 'ns1.example.test')).toEqual(['0.0.0.0']);
  });

  it("blocks a wildcard list's '*.name' and every name below it", async () => {
    expect(await answerOf(hradba.port, 'banned-vendor.test')).toEqual(['0.0.0.0']);
    expect(await answerOf(hradba.port, 'chat.banned-vendor.test')).toEqual(['0.0.0.0']);
  });

  it('reports an address in the name column and a hosts mapping, and does not block the mapped name', async () => {
    expect(await answerOf(hradba.port, 'ads.example.net')).toEqual(['0.0.0.0']);
    expect(await answerOf(hradba.port, 'exact.example.net')).toEqual(['192.0.2.62']);
    const line = await hradba.waitForLog((l) => l['event'] === 'list-problem' && l['list'] === 'hosts', 5_000);
    const file = hradba.listPath('hosts.txt');
    expect(line).toMatchObject({ badLines: 1, skippedLines: 1 });
    expect(JSON.stringify(line['problems'])).toContain(`${file}:3: an address in the name column: '54.222.186.106'`);
    expect(JSON.stringify(line['problems'])).toContain(`${file}:4: hosts mapping skipped: 'exact.example.net' is mapped to 192.168.1.10`);
  });

  it('counts duplicates apart in the serving line', () => {
    const listening = hradba.logs().find((l) => l['event'] === 'listening');
    expect(listening?.['duplicates']).toEqual({ dups: 1 });
  });
});

describe('a list of 50,000 bad lines', () => {
  let dir: string;
  let listFile: string;
  const writeConfig = (name: string, maxBadLines: number): string => {
    const file = join(dir, name);
    writeFileSync(file, stringify(testConfig(nsd.port, { listen: ['127.0.0.1:1'], maxBadLines, lists: [{ file: 'wild.txt', format: 'plain', ...meta('wild') }, { file: 'ok.txt', format: 'plain', ...meta('ok') }] })));
    return file;
  };
  beforeAll(() => {
    dir = makeTempDir('hradba-bad-list');
    listFile = join(dir, 'wild.txt');
    // 50,000 lines no reader takes, and one good name.
    const lines = Array.from({ length: 50_000 }, (_, i) => `||bad${i}.example.org^$third-party,domain=site${i}.example`);
    writeFileSync(listFile, `good.example.org\n${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'ok.txt'), 'ok.example.org\n');
  });
  afterAll(() => removeTempDir(dir));

  it('check prints a count per reason and five samples, under 100 lines', async () => {
    const r = await runCli(['check', '--config', writeConfig('check.yaml', 100)], { timeoutMs: 60_000 });
    expect(r.code).toBe(78);
    const lines = (r.stdout + r.stderr).split('\n');
    expect(lines.length).toBeLessThan(100);
    expect(r.stdout).toContain(`error: ${listFile}: 50,000 bad lines (50,000 not a domain name); the first 5 follow`);
    expect(r.stdout).toContain(`error: ${listFile}:2: not a domain name: '||bad0.example.org^$third-party,domain=site0.example'`);
    expect(r.stdout).not.toContain(`${listFile}:7:`);
  });

  it('serve exits 78 with a bounded report: few stderr lines, no log line over 16 KiB', async () => {
    const r = await runCli(['serve', '--config', writeConfig('serve.yaml', 100)], { timeoutMs: 60_000 });
    expect(r.code).toBe(78);
    expect(r.stderr.split('\n').length).toBeLessThan(20);
    expect(r.stderr).toContain('50,000 bad lines');
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThan(16 * 1024);
  });

  it('within maxBadLines, the start logs one bounded list-problem line', async () => {
    const hradba = await startHradba({
      config: testConfig(nsd.port, { maxBadLines: 100_000, lists: [{ file: listFile, format: 'plain', ...meta('wild') }] }),
    });
    try {
      const problems = hradba.logs().filter((l) => l['event'] === 'list-problem');
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ list: 'wild', badLines: 50_000, reasons: { 'not a domain name': 50_000 } });
      expect(hradba.stdout().split('\n').every((l) => l.length < 16 * 1024)).toBe(true);
    } finally {
      await hradba.stop();
    }
  });
});

describe('a list that yields no entry', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeTempDir('hradba-empty-list');
    writeFileSync(join(dir, 'empty.txt'), '# every line is rejected\nnot a name\n');
  });
  afterAll(() => removeTempDir(dir));

  it('fails check and the start, unless its config entry says why', async () => {
    const config = (extra: Record<string, unknown>): string => {
      const file = join(dir, `c${Object.keys(extra).length}.yaml`);
      writeFileSync(file, stringify(testConfig(nsd.port, { listen: ['127.0.0.1:1'], lists: [{ file: 'empty.txt', format: 'plain', ...meta('empty'), ...extra }] })));
      return file;
    };
    const bad = config({});
    const checked = await runCli(['check', '--config', bad]);
    expect(checked.code).toBe(78);
    expect(checked.stdout).toContain(`${join(dir, 'empty.txt')}: the list yields no entry`);
    const served = await runCli(['serve', '--config', bad]);
    expect(served.code).toBe(78);
    expect(served.stderr).toContain('the list yields no entry');
    const declared = await runCli(['check', '--config', config({ mayBeEmpty: 'the agency fills it later' })]);
    expect(declared.code, declared.stdout).toBe(0);
  });

  it('the shipped pacnet-comnet list declares itself empty and passes check', async () => {
    const r = await runCli(['check']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^pacnet-comnet\s+no\s+0\s+0\s+0\s/m);
  });
});
