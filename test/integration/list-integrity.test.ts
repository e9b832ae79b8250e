/**
 * Files that are whole or refused, on a real process: a hradba list cut mid-line (its `#@end` count no longer
 * matches) is refused on reload with every ban kept; a plain list's cut last line is reported and not used; a
 * shipped config cut at a line boundary cannot lift the Czech bans.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { dig, parseDig, rdata } from '../helpers/dig.js';
import { startHradba, type HradbaProcess, type LogLine } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { testConfig } from '../helpers/test-config.js';

const isReload = (l: LogLine): boolean => l['event'] === 'reload';
/** The 'null' sinkhole answers 0.0.0.0, so a ban is told apart from any upstream answer or refusal. */
const SINKHOLE = { mode: 'null', ttl: '60s', ipv4: null, ipv6: null, ede: true };
const BASIS = [{ authority: 'Test Authority', date: '2026', title: 'Bulk', url: 'https://example.org/bulk' }];

let nsd: NsdServer;
beforeAll(async () => {
  nsd = await startNsd();
});
afterAll(async () => {
  await nsd?.stop();
});

/** blocked asks hradba for the name's A record: true when the answer is the sinkhole's 0.0.0.0. */
async function blocked(port: number, name: string): Promise<boolean> {
  const answer = parseDig((await dig({ port }, [name, 'A'])).stdout);
  return rdata(answer, 'A').includes('0.0.0.0');
}

/** The 10,000 names of the bulk lists. */
const NAMES = Array.from({ length: 10_000 }, (_, i) => `dom${String(i).padStart(5, '0')}.bulk.test`);

/** bulkHradba is a generated hradba list of the names, with its `#@end` trailer. */
function bulkHradba(): string {
  return ['#@hradba-list 1', '#@id: bulk', '#@vendor: bulkvendor', '#@basis: Test Authority | 2026 | Bulk | https://example.org/bulk', ...NAMES, `#@end: ${NAMES.length}`, ''].join('\n');
}

/** cutAt60 cuts a text at 60% of its length, then inside the line there, after `dom0NNNN.bu` (itself a valid name). */
function cutAt60(text: string): { text: string; cutName: string } {
  const lineStart = text.indexOf('\ndom', Math.floor(text.length * 0.6)) + 1;
  const cut = text.slice(0, lineStart + 'dom00000.bu'.length);
  return { text: cut, cutName: cut.slice(lineStart) };
}

describe('a hradba list cut at 60% mid-line', () => {
  let hradba: HradbaProcess;
  beforeAll(async () => {
    hradba = await startHradba({ config: testConfig(nsd.port, { sinkhole: SINKHOLE, lists: [{ file: 'bulk.list' }] }), lists: { 'bulk.list': bulkHradba() } });
  });
  afterAll(async () => {
    await hradba?.stop();
  });

  it('reloads with ok:false naming the trailer, and every ban stays in force', async () => {
    const { text, cutName } = cutAt60(bulkHradba());
    expect(cutName).toMatch(/^dom0\d{4}\.bu$/);
    hradba.writeList('bulk.list', text);
    hradba.kill('SIGHUP');
    const reload = await hradba.waitForLog(isReload, 20_000);
    expect(reload['ok'], JSON.stringify(reload)).toBe(false);
    expect(JSON.stringify(reload['errors'])).toContain("ended with its '#@end: N' trailer and this version has none");
    // Bans from the lost 40%, the one cut, and the first: all still answered as blocked.
    for (const name of [NAMES[9_999], NAMES[8_000], NAMES[6_500], NAMES[0]]) expect(await blocked(hradba.port, name ?? ''), name).toBe(true);
    // The cut last line never became an entry.
    expect(await blocked(hradba.port, cutName)).toBe(false);
  });
});

describe('a plain list whose last line has no newline', () => {
  let hradba: HradbaProcess;
  const { text, cutName } = cutAt60(`${NAMES.join('\n')}\n`);
  beforeAll(async () => {
    hradba = await startHradba({
      config: testConfig(nsd.port, { sinkhole: SINKHOLE, lists: [{ file: 'bulk.txt', format: 'plain', id: 'bulk', vendor: 'bulkvendor', basis: BASIS }] }),
      lists: { 'bulk.txt': text },
    });
  });
  afterAll(async () => {
    await hradba?.stop();
  });

  it('reports the last line as file:line and does not use it', async () => {
    const lineNo = text.split('\n').length;
    const problem = await hradba.waitForLog((l) => l['event'] === 'list-problem', 5_000);
    expect(JSON.stringify(problem['problems'])).toContain(`${hradba.listPath('bulk.txt')}:${lineNo}: last line has no newline: the file may be cut`);
    expect(await blocked(hradba.port, cutName)).toBe(false);
    // The lines before it are whole and in force.
    expect(await blocked(hradba.port, NAMES[lineNo - 2] ?? '')).toBe(true);
  });
});

describe('the shipped config cut at a line boundary', () => {
  let hradba: HradbaProcess;
  let shipped: Record<string, unknown>;
  beforeAll(async () => {
    // The shipped file as it is, pointed at the repository's lists and at the test upstream.
    shipped = parse(readFileSync(join(REPO_ROOT, 'config', 'hradba.yaml'), 'utf8')) as Record<string, unknown>;
    // What it binds is the test's own: a free port for DNS, no admin endpoint.
    delete shipped['listen'];
    delete shipped['admin'];
    const lists = (shipped['lists'] as Record<string, unknown>[]).map((l) => ({ ...l, file: join(REPO_ROOT, 'config', String(l['file'])) }));
    const base = testConfig(nsd.port, { sinkhole: SINKHOLE });
    hradba = await startHradba({ config: { ...shipped, ...base, lists } });
  });
  afterAll(async () => {
    await hradba?.stop();
  });

  it('keeps the Czech bans after a SIGHUP with a config that drops them', async () => {
    for (const name of ['deepseek.com', 'huawei.com', 'tiktok.com']) expect(await blocked(hradba.port, name), name).toBe(true);
    const configFile = hradba.configFile ?? '';
    const full = readFileSync(configFile, 'utf8');
    // Cut right after the first list entry: a copy that stopped at a line boundary.
    const lines = full.split('\n');
    const first = lines.findIndex((l) => l.includes('/blocklists/deepseek.list'));
    const next = lines.findIndex((l, i) => i > first && l.trimStart().startsWith('- file:'));
    expect(first).toBeGreaterThan(0);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(configFile, `${lines.slice(0, next).join('\n')}\n`);
    hradba.kill('SIGHUP');
    const reload = await hradba.waitForLog(isReload, 20_000);
    expect(reload['ok'], JSON.stringify(reload)).toBe(false);
    expect(JSON.stringify(reload['errors'])).toContain('is no longer enabled in the config');
    for (const name of ['deepseek.com', 'huawei.com', 'www.tiktok.com', 'zte.com.cn']) expect(await blocked(hradba.port, name), name).toBe(true);
  });
});

describe('a hradba list whose trailer does not match', () => {
  it('stops the start, naming the trailer line, as for any broken list', async () => {
    const { runCli } = await import('../helpers/run-cli.js');
    const { makeTempDir, removeTempDir } = await import('../helpers/temp-dir.js');
    const { writeFileSync } = await import('node:fs');
    const dir = makeTempDir('hradba-trailer');
    try {
      // One line lost in the middle (a bad merge or copy), the trailer still there.
      const lines = bulkHradba().split('\n');
      lines.splice(2_000, 1);
      writeFileSync(join(dir, 'bulk.list'), lines.join('\n'));
      writeFileSync(join(dir, 'hradba.yaml'), stringify(testConfig(nsd.port, { listen: ['127.0.0.1:1'], lists: [{ file: 'bulk.list' }] })));
      const r = await runCli(['serve', '--config', join(dir, 'hradba.yaml')]);
      expect(r.code, r.stderr).toBe(78);
      expect(r.stderr).toContain(`${join(dir, 'bulk.list')}:${lines.length - 1}: '#@end: 10000' but the file has 9999 entry lines`);
      expect(r.stdout).not.toContain('"event":"listening"');
    } finally {
      removeTempDir(dir);
    }
  });
});
