/** Config loading from files: located problems, unreadable files, relative paths and the shipped config/hradba.yaml. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { DEFAULT_CONFIG_FILE } from '../../src/config/defaults.js';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { CONFIG_KEYS, DEFAULTS } from '../../src/config/schema.js';
import { formatLocated, HradbaError } from '../../src/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const fixtures = resolve(here, '../fixtures/config');

async function rejection(p: Promise<unknown>): Promise<HradbaError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HradbaError);
  return err as HradbaError;
}

describe('loadConfig', () => {
  let tmp = '';
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'hradba-config-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('resolves relative paths against the config file directory', async () => {
    const cfg = await loadConfig(join(fixtures, 'relative.yaml'));
    expect(cfg.file).toBe(join(fixtures, 'relative.yaml'));
    expect(cfg.lists.map((l) => l.file)).toEqual([join(fixtures, 'lists/local.list'), join(repo, 'blocklists/deepseek.list')]);
    expect(cfg.log.file).toBe(join(fixtures, 'logs/hradba.log'));
  });

  it('reports every problem of a file with its line', async () => {
    const file = join(fixtures, 'invalid.yaml');
    const err = await rejection(loadConfig(file));
    expect(err.code).toBe('HRADBA_ERR_CONFIG');
    expect(err.message).toBe(`${file}: 4 problems`);
    expect(err.problems.map(formatLocated)).toEqual([
      `${file}:3: listen[0]: port '99999' must be a number from 1 to 65535`,
      `${file}:5: sinkhole.mode: must be one of nxdomain, nodata, refused, null, ip (got 'block')`,
      `${file}:7: lists[0].file: required`,
      `${file}:9: edns.udpSize: must be from 512 to 4096 (got 9000)`,
    ]);
  });

  it.each([
    ['a missing file', 'missing.yaml', 'no such file'],
    ['a directory', '.', 'it is a directory'],
  ])('turns %s into a located problem', async (_name, name, reason) => {
    const file = join(tmp, name);
    const err = await rejection(loadConfig(file));
    expect(err.code).toBe('HRADBA_ERR_CONFIG');
    expect(err.message).toBe(`${file}: 1 problem`);
    expect(err.problems).toEqual([{ file, line: 0, message: `cannot read config: ${reason}` }]);
    expect(formatLocated(err.problems[0] ?? { file: '', line: 0, message: '' })).toBe(`${file}: cannot read config: ${reason}`);
  });

  it('reads a file that starts with a byte order mark', async () => {
    const file = join(tmp, 'bom.yaml');
    await writeFile(file, '\uFEFFmaxBadLines: 7\n');
    expect((await loadConfig(file)).maxBadLines).toBe(7);
  });

  it('counts lines from 1 on a file without a final newline', () => {
    const err = (() => {
      try {
        parseConfig('maxBadLines: x', 'one-line.yaml');
      } catch (e) {
        return e as HradbaError;
      }
      throw new Error('expected a problem');
    })();
    expect(err.problems.map(formatLocated)).toEqual(["one-line.yaml:1: maxBadLines: must be a whole number from 0 to 1000000 (got 'x')"]);
  });
});

describe('the shipped config/hradba.yaml', () => {
  it('is where DEFAULT_CONFIG_FILE points', () => {
    expect(DEFAULT_CONFIG_FILE).toBe(join(repo, 'config/hradba.yaml'));
  });

  it('loads with no problems and spells out exactly the built-in defaults', async () => {
    // Only the config is checked here; the list files are generated separately.
    const cfg = await loadConfig(DEFAULT_CONFIG_FILE);
    expect({ ...cfg, file: undefined, lists: [] }).toEqual({ ...DEFAULTS, file: undefined });
  });

  it('writes out every key that is not part of a list entry', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = parseDocument(await readFile(DEFAULT_CONFIG_FILE, 'utf8'));
    const missing = CONFIG_KEYS.filter((k) => !k.includes('[]') && !doc.hasIn(k.split('.')));
    expect(missing).toEqual([]);
  });

  it('enables the lists with a Czech legal basis and lists the others disabled', async () => {
    const cfg = await loadConfig(DEFAULT_CONFIG_FILE);
    const name = (file: string): string => file.slice(join(repo, 'blocklists/').length).replace(/\.list$/, '');
    for (const l of cfg.lists) expect(dirname(l.file)).toBe(join(repo, 'blocklists'));
    expect(cfg.lists.filter((l) => l.enabled).map((l) => name(l.file))).toEqual(['deepseek', 'huawei', 'zte', 'tiktok']);
    expect(cfg.lists.map((l) => name(l.file)).sort()).toEqual(
      [
        'autel-robotics',
        'china-mobile',
        'china-mobile-extended',
        'china-telecom',
        'china-telecom-extended',
        'china-unicom',
        'cn-ai-advisory',
        'dahua',
        'deepseek',
        'dji',
        'hikvision',
        'huawei',
        'huawei-extended',
        'hytera',
        'kaspersky',
        'pacnet-comnet',
        'tiktok',
        'zte',
      ].sort(),
    );
    // Shipped lists are hradba lists: their provenance is in their headers, not here; those with a Czech legal
    // basis are mandatory, so a reload whose config drops or breaks them keeps them in force.
    const { loadList } = await import('../../src/policy/list-file.js');
    const czech: string[] = [];
    for (const l of cfg.lists) {
      const { info } = await loadList(l, 0);
      const isCzech = info.basis.some((b) => /Czech/.test(b.authority));
      if (isCzech) czech.push(name(l.file));
      expect(Object.keys(l)).toEqual(isCzech ? ['file', 'enabled', 'mandatory'] : ['file', 'enabled']);
      if (isCzech) expect(l.mandatory, l.file).toBe(true);
    }
    expect(czech).toEqual(expect.arrayContaining(['deepseek', 'huawei', 'zte', 'tiktok']));
  });
});
