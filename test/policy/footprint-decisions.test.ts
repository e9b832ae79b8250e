/**
 * The footprint audit's decisions in blocklists/vendors.yaml hold in the shipped default policy: every name
 * decided to block is blocked, every excluded one is not, the vendor data's notable names are one or the other,
 * twins of one service share one tier, and the audit finds nothing undecided among the decided names.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registrable } from '../../src/audit/registrable.js';
import { runAudit } from '../../src/audit/run-audit.js';
import { doNotBlockNames, findExclusion, loadVendorFootprints, type VendorFootprint } from '../../src/audit/vendor-footprint.js';
import { DEFAULT_CONFIG_FILE } from '../../src/config/defaults.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { loadList } from '../../src/policy/list-file.js';
import { buildPolicy, type Policy } from '../../src/policy/policy.js';
import { VENDORS_YAML, doNotBlockNames as generatorDoNotBlockNames, footprintBlocks } from '../../scripts/gen-blocklists.mjs';

interface Decision {
  name: string;
  tier?: 'main' | 'extended';
  source: string;
}
interface Vendor {
  id: string;
  subdomains_notable?: string[];
  do_not_block?: string[];
  footprint?: { block?: Decision[]; exclude?: { name: string; reason: string }[] };
}

const vendors = (parse(readFileSync(VENDORS_YAML, 'utf8')) as { vendors: Vendor[] }).vendors;
const blocklists = path.dirname(VENDORS_YAML);
const bare = (name: string): string => name.replace(/^=/, '');

let config: Config;
let policy: Policy;
let footprints: Map<string, VendorFootprint>;
let enabled: Vendor[];

beforeAll(async () => {
  config = await loadConfig(DEFAULT_CONFIG_FILE);
  policy = await buildPolicy(config.lists, config.maxBadLines, 1);
  footprints = await loadVendorFootprints(VENDORS_YAML);
  const ids = new Set(policy.lists.map((l) => l.info.vendor));
  enabled = vendors.filter((v) => ids.has(v.id));
});

/** The vendor and list of the entry that blocks name in the default policy, or undefined. */
function blockedBy(name: string): { vendor: string; list: string } | undefined {
  const e = policy.match(name);
  return e === undefined ? undefined : { vendor: e.list.vendor, list: e.list.id };
}

describe('footprint decisions in the default policy', () => {
  it('the default policy enforces the four vendors with a Czech basis, each with decisions', () => {
    expect(enabled.map((v) => v.id).sort()).toEqual(['deepseek', 'huawei', 'tiktok', 'zte']);
    for (const v of enabled) expect((v.footprint?.block?.length ?? 0) + (v.footprint?.exclude?.length ?? 0), v.id).toBeGreaterThan(0);
  });

  it('every name decided to block in the main tier is blocked by its vendor\'s list, each with a source', () => {
    let n = 0;
    for (const v of enabled) {
      for (const d of v.footprint?.block ?? []) {
        expect(d.source.trim(), `${v.id}: ${d.name}`).not.toBe('');
        if ((d.tier ?? 'main') !== 'main') continue;
        expect(blockedBy(bare(d.name)), `${v.id}: ${d.name}`).toEqual({ vendor: v.id, list: v.id });
        // An exact decision blocks the name only: the shared host above it stays allowed.
        if (d.name.startsWith('=')) expect(blockedBy(`x.${bare(d.name)}`), `${v.id}: below ${d.name}`).toBeUndefined();
        n++;
      }
    }
    expect(n).toBeGreaterThan(50);
    for (const name of ['tiktokcdn-eu.net', 'byteoversea.com', 'ibyteimg.com', 'isnssdk.com', 'ibytedapm.com', 'dbankcdn.ru', 'uba.huaweicloud.com', 'tiktokv.com.edgekey.net', 'p16-tiktokcdn-com.akamaized.net']) {
      expect(blockedBy(name), name).toBeDefined();
    }
  });

  it('every name decided for the extended tier is in the vendor\'s -extended list and not blocked by default', async () => {
    for (const v of enabled) {
      const ext = (v.footprint?.block ?? []).filter((d) => d.tier === 'extended');
      if (ext.length === 0) continue;
      const extPolicy = await buildPolicy([{ file: path.join(blocklists, `${v.id}-extended.list`), enabled: true }], 0, 1);
      for (const d of ext) {
        expect(extPolicy.match(bare(d.name))?.list.id, d.name).toBe(`${v.id}-extended`);
        expect(blockedBy(bare(d.name)), d.name).toBeUndefined();
      }
    }
  });

  it('no excluded name (footprint.exclude, do_not_block) is blocked, and none is also decided to block', () => {
    let n = 0;
    for (const v of enabled) {
      const blocked = new Set((v.footprint?.block ?? []).map((d) => bare(d.name)));
      const excluded = [...(v.footprint?.exclude ?? []).map((e) => bare(e.name)), ...(v.do_not_block ?? []).flatMap(doNotBlockNames)];
      for (const name of excluded) {
        expect(blockedBy(name), `${v.id}: ${name}`).toBeUndefined();
        expect(blocked.has(name), `${v.id}: ${name} both blocked and excluded`).toBe(false);
        n++;
      }
    }
    expect(n).toBeGreaterThan(50);
    for (const name of ['capcut.com', 'hihonorcloud.com', 'dt.hihonorcloud.com', 'douyin.com', 'snssdk.com', 'deepseek.ai', 'akamaized.net', 'edgekey.net']) {
      expect(blockedBy(name), name).toBeUndefined();
    }
  });

  it('every notable name of an enabled vendor is blocked, or excluded with a reason', () => {
    for (const v of enabled) {
      const fp = footprints.get(v.id);
      for (const note of v.subdomains_notable ?? []) {
        const name = note.split(/\s/)[0] ?? '';
        if (!/^[a-z0-9.-]+\.[a-z]+$/.test(name)) continue; // '(telemetry FQDNs: see telemetry_fqdns)'
        const decided = blockedBy(name) !== undefined || (fp !== undefined && findExclusion(fp, name) !== undefined);
        expect(decided, `${v.id}: notable ${name} is neither blocked nor excluded`).toBe(true);
      }
    }
  });

  it('the audit finds every decided name decided (blocked, excluded or in a tier left off)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hradba-decided-'));
    try {
      const names = enabled.flatMap((v) => [...(v.footprint?.block ?? []), ...(v.footprint?.exclude ?? [])].map((d) => bare(d.name)));
      const file = path.join(dir, 'decided.txt');
      writeFileSync(file, `${names.join('\n')}\n`);
      const { audit } = await runAudit({ config, footprints, files: [file], trackers: [] });
      expect(audit.hits.filter((h) => h.outcome.kind === 'undecided').map((h) => h.name)).toEqual([]);
      expect(audit.counts.distinct).toBe(new Set(names).size);
      expect(audit.counts.blocked).toBeGreaterThan(50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tiers', () => {
  it('regional and TLD twins of one service share one tier (main or extended) in every vendor', async () => {
    for (const v of vendors) {
      const tierOf = new Map<string, { tier: string; domain: string }>();
      for (const [tier, file] of [['main', `${v.id}.list`], ['extended', `${v.id}-extended.list`]] as const) {
        let list;
        try {
          list = await loadList({ file: path.join(blocklists, file), enabled: true }, 0);
        } catch {
          continue; // a vendor without an extended tier
        }
        for (const e of list.entries) {
          const r = registrable(e.domain);
          if (e.exact || r === null || r.domain !== e.domain) continue;
          const seen = tierOf.get(r.label);
          if (seen === undefined) tierOf.set(r.label, { tier, domain: e.domain });
          else expect(seen.tier, `${v.id}: ${e.domain} (${tier}) and ${seen.domain} (${seen.tier})`).toBe(tier);
        }
      }
    }
  });

  it('myhuaweicloud is in one tier in every region', async () => {
    expect(blockedBy('obs.myhuaweicloud.ru')).toBeUndefined();
    expect(blockedBy('obs.myhuaweicloud.com')).toBeUndefined();
  });
});

describe('the generator reads footprint.block', () => {
  it('splits it by tier into suffix and exact names', () => {
    const got = footprintBlocks({
      id: 'v',
      footprint: { block: [{ name: 'a.example', source: 's' }, { name: '=b.cdn.example', source: 's' }, { name: 'c.example', tier: 'extended', source: 's' }] },
    });
    expect(got).toEqual({ main: { suffix: ['a.example'], exact: ['b.cdn.example'] }, extended: { suffix: ['c.example'], exact: [] } });
  });

  it('refuses a decision without a source or with an unknown tier', () => {
    expect(() => footprintBlocks({ id: 'v', footprint: { block: [{ name: 'a.example' }] } })).toThrow('v: footprint.block[0]: needs name and source');
    expect(() => footprintBlocks({ id: 'v', footprint: { block: [{ name: 'a.example', source: 's', tier: 'x' }] } })).toThrow("tier 'x'");
  });
});

describe('the audit reads the vendor data as the generator does', () => {
  it('extracts the same do_not_block names from every note', () => {
    for (const v of vendors) for (const note of v.do_not_block ?? []) expect(doNotBlockNames(note), note).toEqual(generatorDoNotBlockNames([note]));
  });
});

afterAll(async () => {
  await policy.release();
});
