/** The one-shot commands: check, explain, report, --help and --version, run as the built CLI. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dig, parseDig } from '../helpers/dig.js';
import { freePort } from '../helpers/free-port.js';
import { startHradba } from '../helpers/hradba.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { runCli, type CliRun } from '../helpers/run-cli.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

const output = (r: CliRun): string => r.stdout + r.stderr;

let dir: string;
let goodConfig: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hradba-cli-'));
  writeFileSync(join(dir, TEST_LIST), testvendorList());
  goodConfig = join(dir, 'good.yaml');
  writeFileSync(goodConfig, stringify({ ...testConfig(5300, { access: { allow: ['127.0.0.1/32'], action: 'refuse' } }), listen: ['127.0.0.1:5353'] }));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('hradba check', () => {
  it('accepts a good config, exits 0 and prints the entries of each list', async () => {
    const r = await runCli(['check', '--config', goodConfig]);
    expect(r.code, output(r)).toBe(0);
    const row = r.stdout.split('\n').find((line) => line.startsWith('testvendor'));
    expect(row, r.stdout).toBeDefined();
    // banned-vendor.test and =exact.example.net
    expect(row).toMatch(/\b2\b/);
  });

  it('rejects an unknown key with file:line: and a non-zero exit', async () => {
    const file = join(dir, 'bad-key.yaml');
    writeFileSync(file, ['upstreams: ["127.0.0.1:5300"]', 'lists:', `  - file: ${TEST_LIST}`, 'bogusKey: 1', ''].join('\n'));
    const r = await runCli(['check', '--config', file]);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(output(r)).toContain(`${file}:4:`);
    expect(output(r)).toContain('bogusKey');
  });

  it('reports every bad key, each with its own line', async () => {
    const file = join(dir, 'two-bad.yaml');
    writeFileSync(file, ['upstreams: ["127.0.0.1:5300"]', 'sinkhole:', '  mode: teapot', 'lists:', `  - file: ${TEST_LIST}`, 'alsoBogus: true', ''].join('\n'));
    const r = await runCli(['check', '--config', file]);
    expect(r.code).not.toBe(0);
    expect(output(r)).toContain(`${file}:3:`);
    expect(output(r)).toContain(`${file}:6:`);
  });

  it('rejects a list with more bad lines than maxBadLines, naming file:line', async () => {
    const listFile = join(dir, 'broken.list');
    const text = testvendorList(['bad domain!!']);
    writeFileSync(listFile, text);
    const file = join(dir, 'bad-list.yaml');
    writeFileSync(file, stringify({ ...testConfig(5300, { maxBadLines: 0 }), lists: [{ file: 'broken.list' }] }));
    const r = await runCli(['check', '--config', file]);
    expect(r.code).not.toBe(0);
    expect(output(r)).toContain(`${listFile}:${text.split('\n').indexOf('bad domain!!') + 1}`);
  });

  it('rejects a missing config file', async () => {
    const r = await runCli(['check', '--config', join(dir, 'does-not-exist.yaml')]);
    expect(r.code).not.toBe(0);
    expect(output(r)).toContain('does-not-exist.yaml');
  });
});

describe('hradba explain', () => {
  it('says a banned name is blocked, with list, vendor and basis', async () => {
    const r = await runCli(['explain', 'chat.banned-vendor.test', '--config', goodConfig]);
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toMatch(/blocked/i);
    expect(r.stdout).toContain('testvendor');
    expect(r.stdout).toContain('Test Vendor');
    expect(r.stdout).toContain('Test Authority');
    expect(r.stdout).toContain('2025-07-09');
    expect(r.stdout).toContain('banned-vendor.test');
  });

  it('accepts a mixed-case name with a trailing dot', async () => {
    const r = await runCli(['explain', 'ChAt.BaNnEd-VeNdOr.TeSt.', '--config', goodConfig]);
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toMatch(/blocked/i);
  });

  it('says an exact-only entry does not cover its subdomain', async () => {
    const exact = await runCli(['explain', 'exact.example.net', '--config', goodConfig]);
    expect(exact.stdout).toMatch(/blocked/i);
    const sub = await runCli(['explain', 'sub.exact.example.net', '--config', goodConfig]);
    expect(sub.code, output(sub)).toBe(0);
    expect(sub.stdout).not.toMatch(/blocked/i);
    expect(sub.stdout).toMatch(/allowed/i);
  });

  it('says an unlisted name is allowed', async () => {
    const r = await runCli(['explain', 'www.example.test', '--config', goodConfig]);
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toMatch(/allowed/i);
    expect(r.stdout).not.toContain('Test Authority');
  });

  it('with --client outside access.allow, says the client is refused', async () => {
    const r = await runCli(['explain', 'www.example.test', '--client', '192.0.2.200', '--config', goodConfig]);
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toContain('192.0.2.200');
    expect(r.stdout).toMatch(/REFUSED/);
  });
});

describe('hradba --help and --version', () => {
  it('--help lists the commands and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const command of ['serve', 'check', 'explain', 'report']) expect(r.stdout).toContain(command);
  });

  it.each([
    [['serve'], ['--config', '--listen', '--upstream', '--admin']],
    [['check'], ['--config']],
    [['explain'], ['--client', '--json', '--config']],
    [['report'], ['--json']],
    [['health'], ['--server', '--timeout', '--config']],
    [['export', 'rpz'], ['--group', '--origin', '--output', '--config']],
    [['audit'], ['--tracker', '--vendors', '--undecided', '--json', '--config']],
  ])('%j --help explains its options and exits 0', async (command, options) => {
    const r = await runCli([...command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: hradba ${command[0] ?? ''} [options]`);
    for (const option of options) expect(r.stdout).toContain(option);
  });

  it('--version prints the package version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('an unknown command or option exits non-zero', async () => {
    const r = await runCli(['serve', '--no-such-option']);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
  });
});

describe('hradba report over a captured log', () => {
  let logFile: string;

  beforeAll(async () => {
    const hradba = await startHradba({ config: testConfig(await freePort()), lists: { [TEST_LIST]: testvendorList() } });
    try {
      for (const [name, extra] of [
        ['chat.banned-vendor.test', []],
        ['api.v1.banned-vendor.test', ['+tcp']],
        ['exact.example.net', []],
      ] as const) {
        const a = parseDig((await dig({ port: hradba.port }, [name, 'A', ...extra])).stdout);
        expect(a.status).toBe('NXDOMAIN');
      }
      await hradba.waitForLog((l) => l['event'] === 'sinkhole' && l['qname'] === 'exact.example.net', 5000);
    } finally {
      await hradba.stop();
    }
    logFile = join(dir, 'hradba.log');
    writeFileSync(logFile, hradba.stdout());
  });

  it('prints the client and the vendor', async () => {
    const r = await runCli(['report', logFile]);
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toContain('127.0.0.1');
    expect(r.stdout).toMatch(/testvendor|Test Vendor/);
  });

  it('--json prints parseable JSON naming the client and the vendor', async () => {
    const r = await runCli(['report', logFile, '--json']);
    expect(r.code, output(r)).toBe(0);
    const text = JSON.stringify(JSON.parse(r.stdout));
    expect(text).toContain('127.0.0.1');
    expect(text).toContain('testvendor');
  });

  it("reads the log from standard input with '-'", async () => {
    const r = await runCli(['report', '-'], { input: readFileSync(logFile, 'utf8') });
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toContain('127.0.0.1');
  });
});
