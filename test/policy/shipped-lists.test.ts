/** The shipped blocklists/*.list: every one parses cleanly, names its basis, and lists no do_not_block name. */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadList } from '../../src/policy/list-file.js';
import { buildPolicy } from '../../src/policy/policy.js';
// The generator's own extraction, checked below against names written out by hand.
import { VENDORS_YAML, doNotBlockNames, main as generateLists } from '../../scripts/gen-blocklists.mjs';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const blocklists = path.join(repoRoot, 'blocklists');

interface Vendor {
  id: string;
  domains?: string[];
  domains_extended?: string[] | Record<string, string[]>;
  do_not_block?: string[];
}

function readVendors(): Vendor[] {
  return (parse(readFileSync(VENDORS_YAML, 'utf8')) as { vendors: Vendor[] }).vendors;
}

const listFiles = readdirSync(blocklists)
  .filter((f) => f.endsWith('.list'))
  .sort();

describe('shipped block lists', () => {
  it('exist', () => {
    expect(listFiles.length).toBeGreaterThan(0);
  });

  it.each(listFiles)('%s parses with zero problems and a basis', async (name) => {
    const list = await loadList({ file: path.join(blocklists, name), enabled: true }, 0);
    expect(list.format).toBe('hradba');
    expect(list.problems).toEqual([]);
    expect(`${list.info.id}.list`).toBe(name);
    expect(list.info.basis.length).toBeGreaterThan(0);
    expect(list.info.vendorName).not.toBe('');
  });

  it('all of them load together into one policy (ids unique)', async () => {
    const policy = await buildPolicy(
      listFiles.map((f) => ({ file: path.join(blocklists, f), enabled: true })),
      0,
      1,
    );
    expect(policy.lists).toHaveLength(listFiles.length);
    expect(policy.match('chat.deepseek.com')?.list.id).toBe('deepseek');
    expect(policy.match('www.huawei.com')?.list.id).toBe('huawei');
    expect(policy.match('tongyi.aliyun.com')?.list.id).toBe('cn-ai-advisory');
    expect(policy.match('aliyun.com')).toBeUndefined();
  });

  it('there is one list per vendor, and one -extended list per vendor with domains_extended', () => {
    const expected = readVendors().flatMap((v) => (v.domains_extended === undefined ? [`${v.id}.list`] : [`${v.id}.list`, `${v.id}-extended.list`]));
    expect(listFiles).toEqual(expected.sort());
  });

  it('the do_not_block names are extracted from the notes as expected', () => {
    const names = readVendors().flatMap((v) => doNotBlockNames(v.do_not_block) as string[]);
    for (const n of ['aliyun.com', 'volces.com', 'fonts.gstatic.com', 'intercom.io', 'edgekey.net', 'web.app', 'akamaized.net', 'edgesuite.net', 'appsflyersdk.com', 'securelist.com', 'autel.com', 'coze.com']) {
      expect(names).toContain(n);
    }
    // Names mentioned only in the explanation after the leading names are not extracted.
    expect(names).not.toContain('h4g3z1-native.huawei.web.app');
    expect(names).not.toContain('tongyi.aliyun.com');
  });

  it('no list names a do_not_block domain', async () => {
    const banned = new Set(readVendors().flatMap((v) => doNotBlockNames(v.do_not_block) as string[]));
    expect(banned.size).toBeGreaterThan(0);
    for (const name of listFiles) {
      const list = await loadList({ file: path.join(blocklists, name), enabled: true }, 0);
      const listed = list.entries.map((e) => e.domain).filter((d) => banned.has(d));
      expect(listed, `${name} lists do_not_block names`).toEqual([]);
    }
  });

  it('every domain of vendors.yaml is in its list, unless it is a do_not_block name', async () => {
    for (const v of readVendors()) {
      const banned = new Set(doNotBlockNames(v.do_not_block) as string[]);
      const list = await loadList({ file: path.join(blocklists, `${v.id}.list`), enabled: true }, 0);
      const have = new Set(list.entries.map((e) => e.domain));
      for (const d of v.domains ?? []) {
        if (!banned.has(d.toLowerCase())) expect(have.has(d.toLowerCase()), `${v.id}: ${d}`).toBe(true);
      }
    }
  });

  it('are what the generator makes of blocklists/vendors.yaml (the data is their single source)', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'hradba-gen-'));
    try {
      generateLists([VENDORS_YAML, out]);
      const made = readdirSync(out).sort();
      expect(made).toEqual([...listFiles, 'README.md'].sort());
      for (const f of made) {
        expect(readFileSync(path.join(blocklists, f), 'utf8'), `blocklists/${f} differs from the generator's output: run node scripts/gen-blocklists.mjs`).toBe(readFileSync(path.join(out, f), 'utf8'));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
