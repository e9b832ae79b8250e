/**
 * `hradba check`, the start log and a reload warn about settings that clients turn into something else than a
 * block: sinkhole mode `refused` (stubs ask the next nameserver) and `null` (0.0.0.0 is the client's own host), and
 * about the way out they can see (a loopback-only listen, a network listen off port 53, DoH switches off).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startHradba, type LogLine } from '../helpers/hradba.js';
import { runCli } from '../helpers/run-cli.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

const dir = mkdtempSync(join(tmpdir(), 'hradba-warnings-'));
writeFileSync(join(dir, TEST_LIST), testvendorList());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The warning each mode must give (a phrase of it), or null for none. */
const MODES = [
  { sinkhole: { mode: 'refused' }, warning: /sinkhole\.mode 'refused' sends clients to their next nameserver: glibc, curl and musl ask it on REFUSED/ },
  { sinkhole: { mode: 'null' }, warning: /sinkhole\.mode 'null' points clients at their own host: 0\.0\.0\.0 and :: mean "this host"/ },
  { sinkhole: { mode: 'nxdomain' }, warning: null },
  { sinkhole: { mode: 'nodata' }, warning: null },
  { sinkhole: { mode: 'ip', ipv4: '192.0.2.99' }, warning: null },
] as const;

describe.each(MODES)('sinkhole $sinkhole.mode', ({ sinkhole, warning }) => {
  const config = testConfig(5300, { sinkhole });

  it(warning === null ? 'hradba check gives no sinkhole warning' : 'hradba check warns, and still exits 0', async () => {
    const file = join(dir, `${sinkhole.mode}.yaml`);
    writeFileSync(file, stringify(config));
    const r = await runCli(['check', '--config', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('warning:') && l.includes('sinkhole.mode'));
    if (warning === null) expect(lines).toEqual([]);
    else {
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`warning: ${file}: `);
      expect(lines[0]).toMatch(warning);
    }
  });

  it(warning === null ? 'the start log has no config warning' : 'the start log warns before the listening line', async () => {
    const h = await startHradba({ config, lists: { [TEST_LIST]: testvendorList() } });
    try {
      const logs = h.logs();
      const listening = logs.findIndex((l) => l['event'] === 'listening');
      const warned = logs.filter((l) => l['event'] === 'config-warning' && l['key'] === 'sinkhole.mode');
      if (warning === null) expect(warned).toEqual([]);
      else {
        expect(warned).toHaveLength(1);
        expect(warned[0]!['level']).toBe('warn');
        expect(String(warned[0]!['msg'])).toMatch(warning);
        expect(logs.indexOf(warned[0]!)).toBeLessThan(listening);
      }
    } finally {
      await h.stop();
    }
  });
});

/** Runs `hradba check` on a test config with `overrides` and returns its warning lines about `key`. */
async function checkWarnings(name: string, overrides: Record<string, unknown>, key: string): Promise<string[]> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(testConfig(5300, overrides)));
  const r = await runCli(['check', '--config', file]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l.startsWith(`warning: ${file}: `) && l.includes(key));
}

describe('what check can see of the way out', () => {
  it.each([
    { what: 'loopback only while access admits networks', listen: ['127.0.0.1:53', '[::1]:53'], allow: ['127.0.0.0/8', '10.0.0.0/8'], warns: true },
    { what: 'loopback only, loopback clients only', listen: ['127.0.0.1:5353'], allow: ['127.0.0.0/8', '::1/128'], warns: false },
    { what: 'a network address', listen: ['127.0.0.1:53', '192.0.2.53:53'], allow: ['10.0.0.0/8'], warns: false },
    { what: 'the wildcard address', listen: ['0.0.0.0:53'], allow: ['10.0.0.0/8'], warns: false },
  ])('listen on $what: warns $warns', async ({ what, listen, allow, warns }) => {
    const lines = await checkWarnings(`listen-${what.replaceAll(' ', '-')}`, { listen, access: { allow } }, 'every listen address is loopback');
    expect(lines).toHaveLength(warns ? 1 : 0);
    if (warns) expect(lines[0]).toContain('(127.0.0.1:53, [::1]:53) while access.allow admits other networks (10.0.0.0/8)');
  });

  it.each([
    { listen: ['0.0.0.0:5353'], warns: true },
    { listen: ['192.0.2.53:53', '[2001:db8::53]:5353'], warns: true },
    { listen: ['127.0.0.1:5353', '192.0.2.53:53'], warns: false },
  ])('listen $listen off port 53: warns $warns', async ({ listen, warns }) => {
    const lines = await checkWarnings(`port-${listen.length}-${String(warns)}`, { listen, access: { allow: ['10.0.0.0/8'] } }, 'is not port 53');
    expect(lines).toHaveLength(warns ? 1 : 0);
  });

  it.each([
    { antiBypass: { firefoxCanary: true, dohProviders: true }, want: null },
    { antiBypass: { firefoxCanary: true, dohProviders: false }, want: 'antiBypass.dohProviders off' },
    { antiBypass: { firefoxCanary: false, dohProviders: false }, want: 'antiBypass.firefoxCanary and antiBypass.dohProviders off' },
  ])('antiBypass $antiBypass', async ({ antiBypass, want }) => {
    const lines = await checkWarnings(`bypass-${String(antiBypass.firefoxCanary)}-${String(antiBypass.dohProviders)}`, { antiBypass }, 'antiBypass.');
    if (want === null) expect(lines).toEqual([]);
    else {
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${want}: browsers and apps with their own DNS over HTTPS resolver go around hradba`);
    }
  });
});

describe.each([1, 2])('a reload into sinkhole mode refused (%i serving threads)', (workers) => {
  it('logs the warning once, and a reload that keeps the mode does not repeat it', async () => {
    const base = testConfig(5300, { workers });
    const h = await startHradba({ config: base, lists: { [TEST_LIST]: testvendorList() } });
    try {
      const listen = (h.logs().find((l) => l['event'] === 'listening' || l['event'] === 'workers-listening') ?? {})['event'];
      expect(listen).toBeDefined();
      const warned = (): LogLine[] => h.logs().filter((l) => l['event'] === 'config-warning' && l['key'] === 'sinkhole.mode');
      expect(warned()).toEqual([]);
      // The config file as the helper wrote it (with its listen address), now in mode refused.
      const written = parse(readFileSync(h.configFile!, 'utf8')) as Record<string, unknown>;
      h.writeConfig({ ...written, sinkhole: { ...(written['sinkhole'] as object), mode: 'refused' } });
      // The line the reading thread writes after its warnings (threads' lines may interleave with it in any order).
      const after = workers === 1 ? 'reload' : 'reload-compiled';
      const reloads = (): number => h.logs().filter((l) => l['event'] === after).length;
      h.kill('SIGHUP');
      await retryUntil(() => reloads() >= 1);
      expect(warned()).toHaveLength(1);
      expect(String(warned()[0]!['msg'])).toMatch(MODES[0].warning);
      h.kill('SIGHUP');
      await retryUntil(() => reloads() >= 2);
      expect(warned()).toHaveLength(1);
    } finally {
      await h.stop();
    }
  });
});

/** Waits (bounded) until `cond` holds. */
async function retryUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 100));
  expect(cond()).toBe(true);
}
