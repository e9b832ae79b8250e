/** The hradba config and block list the integration tests start from, pointed at a test NSD. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from './paths.js';

/** File name of the test vendor's list in the hradba temp dir. */
export const TEST_LIST = 'testvendor.list';

/** The hradba-format list of the made-up vendor (banned-vendor.test, =exact.example.net), plus `extraLines`. */
export function testvendorList(extraLines: readonly string[] = []): string {
  const base = readFileSync(join(FIXTURES_DIR, TEST_LIST), 'utf8');
  return extraLines.length === 0 ? base : `${base}${extraLines.join('\n')}\n`;
}

type Section = Record<string, unknown>;

/** Per-section overrides: each given section is merged over the default one, other top-level keys replace. */
export interface ConfigOverrides {
  readonly forward?: Section;
  readonly access?: Section;
  readonly sinkhole?: Section;
  readonly log?: Section;
  readonly shutdown?: Section;
  readonly [key: string]: unknown;
}

/** A config forwarding to 127.0.0.1:`upstreamPort`, enforcing the test list, loopback clients only. */
export function testConfig(upstreamPort: number, overrides: ConfigOverrides = {}): Record<string, unknown> {
  const base: Record<string, Section | unknown> = {
    upstreams: [`127.0.0.1:${upstreamPort}`],
    // The test zones are under test. (RFC 6761), which hradba answers locally unless told to forward them.
    forward: { attemptTimeout: '1s', deadline: '3s', socketPool: 4, testNames: true },
    access: { allow: ['127.0.0.1/32', '::1/128'], action: 'refuse' },
    sinkhole: { mode: 'nxdomain', ttl: '60s', ipv4: null, ipv6: null, ede: true },
    lists: [{ file: TEST_LIST }],
    maxBadLines: 100,
    // One serving thread: these tests count cache entries, upstream queries and probes of a single thread;
    // workers.test.ts runs several.
    workers: 1,
    log: { level: 'info', file: null, queries: false },
    shutdown: { grace: '2s' },
  };
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = base[key];
    const isSection = (v: unknown): v is Section => v !== null && typeof v === 'object' && !Array.isArray(v);
    merged[key] = isSection(current) && isSection(value) ? { ...current, ...value } : value;
  }
  return merged;
}
