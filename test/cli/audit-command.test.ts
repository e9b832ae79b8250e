/** `hradba audit` run as a process on small fixture files: hits with their reasons, decisions, counts, JSON, errors, help. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

const fx = path.join(REPO_ROOT, 'test', 'fixtures', 'audit');
const base = ['audit', '--config', path.join(fx, 'hradba.yaml'), '--vendors', path.join(fx, 'vendors.yaml')];
const inputs = ['--tracker', `acme=${path.join(fx, 'tracker.txt')}`, path.join(fx, 'ranking.csv'), path.join(fx, 'hosts.txt'), path.join(fx, 'radar.csv.gz')];

interface Json {
  lists: string[];
  vendors: string[];
  counts: { read: number; distinct: number; blocked: number; hits: number; undecided: number; excluded: Record<string, number> };
  hits: { name: string; vendors: string[]; reasons: { kind: string }[]; outcome: { kind: string; list?: string; exclusions?: { reason: string }[] } }[];
  sources: { file: string; unreadable: number; header: boolean }[];
}

describe('hradba audit', () => {
  it('finds every allowed vendor-looking name with its reason and decision, and counts them (JSON)', async () => {
    const run = await runCli([...base, '--json', ...inputs]);
    expect(run.code, run.stderr).toBe(1);
    const r = JSON.parse(run.stdout) as Json;
    expect(r.lists).toEqual(['acme']);
    expect(r.counts).toEqual({ read: 15, distinct: 14, blocked: 3, hits: 9, undecided: 6, excluded: { do_not_block: 1, 'not-enforced:acme-extended': 1, 'third-party': 1 } });
    const byName = new Map(r.hits.map((h) => [h.name, h]));
    expect([...byName.keys()].sort()).toEqual(
      ['acme.co.uk', 'acme.net', 'acmecdn-eu.net', 'acmecloud.com', 'acmesoft-fans.org', 'acmesoft-tracker.io', 'log.acme-analytics.io', 'sharedcdn.net', 'www.acmecloud.org'].sort(),
    );
    expect(byName.get('acmecdn-eu.net')?.reasons).toEqual([{ kind: 'twin', vendor: 'acme', listed: 'acmecdn-eu.com', list: 'acme' }]);
    expect(byName.get('acme.co.uk')?.outcome.kind).toBe('undecided');
    expect(byName.get('acmesoft-tracker.io')?.reasons[0]).toMatchObject({ kind: 'keyword', keyword: 'acmesoft' });
    expect(byName.get('log.acme-analytics.io')?.reasons[0]).toMatchObject({ kind: 'tracker', entry: 'log.acme-analytics.io' });
    expect(byName.get('acmesoft-fans.org')?.outcome).toMatchObject({ kind: 'excluded', exclusions: [{ reason: 'third-party' }] });
    expect(byName.get('sharedcdn.net')?.outcome).toMatchObject({ kind: 'excluded', exclusions: [{ reason: 'do_not_block' }] });
    expect(byName.get('acmecloud.com')?.outcome).toMatchObject({ kind: 'not-enforced', list: 'acme-extended' });
    // Blocked names are counted, not listed as hits.
    expect(byName.has('www.acme.com')).toBe(false);
    expect(byName.has('telemetry.sharedcdn.net')).toBe(false);
    expect(r.sources.find((s) => s.file.endsWith('ranking.csv'))?.unreadable).toBe(1);
    expect(r.sources.find((s) => s.file.endsWith('radar.csv.gz'))?.header).toBe(true);
    expect(run.stderr).toContain('ranking.csv: 1 line(s) hold no name');
    expect(run.stderr).toContain('ranking.csv:9: not a name at all');
  });

  it('prints the hits, undecided first, each with its reason, and the counts (text)', async () => {
    const run = await runCli([...base, ...inputs]);
    expect(run.code, run.stderr).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^UNDECIDED /);
    expect(run.stdout).toContain('UNDECIDED acmecdn-eu.net [acme]: twin of acmecdn-eu.com (list acme)');
    expect(run.stdout).toContain("excluded  acmesoft-fans.org [acme]: keyword 'acmesoft' in label 'acmesoft-fans'");
    expect(run.stdout).toContain('excluded for acme (third-party, acmesoft-fans.org): not Acme');
    expect(run.stdout).toContain('in list acme-extended (acmecloud.com), which the config does not enforce');
    expect(lines.at(-3)).toBe('names read: 15 (14 distinct) from 4 files; enforced lists: acme');
    expect(lines.at(-2)).toBe('blocked: 3; allowed but vendor-looking (hits): 9: 6 undecided, 3 excluded');
    expect(lines.at(-1)).toBe('excluded by reason: do_not_block 1, not-enforced:acme-extended 1, third-party 1');
  });

  it('--undecided prints only the undecided hits; exit 0 when none is left', async () => {
    const some = await runCli([...base, '--undecided', ...inputs]);
    expect(some.stdout).not.toContain('excluded  ');
    expect(some.stdout.split('\n').filter((l) => l.startsWith('UNDECIDED'))).toHaveLength(6);
    const none = await runCli([...base, '-'], { input: 'www.acme.com\nacmesoft-fans.org\nexample.org\n' });
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain('blocked: 1; allowed but vendor-looking (hits): 1: 0 undecided, 1 excluded');
  });

  it('enforcing the optional tier turns its names into blocked ones', async () => {
    const off = await runCli([...base, '--json', '-'], { input: 'acmecloud.com\n' });
    expect((JSON.parse(off.stdout) as Json).counts).toMatchObject({ blocked: 0, hits: 1, excluded: { 'not-enforced:acme-extended': 1 } });
    const on = await runCli(['audit', '--config', path.join(fx, 'hradba-extended.yaml'), '--vendors', path.join(fx, 'vendors.yaml'), '--json', '-'], { input: 'acmecloud.com\n' });
    expect(on.code, on.stderr).toBe(0);
    expect((JSON.parse(on.stdout) as Json).counts).toMatchObject({ blocked: 1, hits: 0, excluded: {} });
  });

  it('says what is wrong with its input: no file, a missing file, a bad --tracker, an unknown vendor, bad vendor data', async () => {
    expect((await runCli(base)).code).toBe(2);
    const missing = await runCli([...base, path.join(fx, 'missing.txt')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing.txt: cannot read');
    const badTracker = await runCli([...base, '--tracker', 'acme', path.join(fx, 'ranking.csv')]);
    expect(badTracker.code).toBe(2);
    expect(badTracker.stderr).toContain('expected VENDOR=FILE');
    const unknown = await runCli([...base, '--tracker', `other=${path.join(fx, 'tracker.txt')}`]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("vendor 'other' has no enforced list");
    const badData = await runCli(['audit', '--config', path.join(fx, 'hradba.yaml'), '--vendors', path.join(fx, 'hradba.yaml'), path.join(fx, 'ranking.csv')]);
    expect(badData.code).toBe(78);
    expect(badData.stderr).toContain("no 'vendors' list");
  });

  it('--help explains the reasons, the inputs and the exit codes', async () => {
    const run = await runCli(['audit', '--help']);
    expect(run.code).toBe(0);
    for (const s of ['twin', 'keyword', 'tracker', '--tracker <vendor=file>', '--json', 'Cloudflare Radar', 'gzip', 'Exit codes: 0 no undecided hit']) expect(run.stdout).toContain(s);
  });

  it('audits against the shipped policy and vendor data by default', async () => {
    const run = await runCli(['audit', '--json', '-'], { input: 'www.tiktok.com\nexample.org\n' });
    const r = JSON.parse(run.stdout) as Json;
    expect(r.lists).toContain('tiktok');
    expect(r.counts).toMatchObject({ read: 2, blocked: 1, hits: 0 });
  });
});
