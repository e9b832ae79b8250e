/**
 * Blocks as a validating client sees them: a signed test root and `test.` TLD in NSD, the vendor's zone delegated
 * unsigned (as most are), Unbound iterating from that root, hradba in front, and BIND's delv validating from the
 * root's trust anchor. The DS of a listed name's own apex lives in the parent zone and is relayed, so the
 * validator learns the vendor's zone is unsigned and reads the block as an insecure NXDOMAIN instead of a
 * broken trust chain; every name below the apex, and its DS, stays sinkholed. A vendor whose zone is signed
 * still reads as a validation failure (no sinkhole answer carries its signatures), and still gets no address.
 */
import { writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delv, dig, parseDig, type ToolRun } from '../helpers/dig.js';
import { startHradba, type HradbaProcess, type LogLine } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { FIXTURES_DIR } from '../helpers/paths.js';
import { signedTree } from '../helpers/signed-tree.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';
import { startIteratingUnbound, type IteratingUnbound } from '../helpers/unbound-iterator.js';

/** A vendor whose own zone is signed: no sinkhole answer can carry its signatures. */
const SIGNED_VENDOR_ZONE = [
  'signed-vendor.test. 300 IN SOA ns.test. hostmaster.test. 1 3600 900 604800 300',
  'signed-vendor.test. 300 IN NS ns.test.',
  'signed-vendor.test. 300 IN A 192.0.2.60',
  'www.signed-vendor.test. 300 IN A 192.0.2.61',
  '',
].join('\n');

let nsd: NsdServer;
let resolver: IteratingUnbound;
let h: HradbaProcess;
let anchorFile: string;

beforeAll(async () => {
  const tree = signedTree({
    unsigned: { 'banned-vendor.test': readFileSync(join(FIXTURES_DIR, 'banned-vendor.test.zone'), 'utf8') },
    signed: { 'signed-vendor.test': SIGNED_VENDOR_ZONE },
    tldRecords: ['www.test. 300 IN A 192.0.2.80'],
  });
  nsd = await startNsd({ zones: tree.zones });
  resolver = await startIteratingUnbound({ authorityPort: nsd.port, zones: Object.keys(tree.zones) });
  h = await startHradba({ config: testConfig(resolver.port), lists: { [TEST_LIST]: testvendorList(['signed-vendor.test']) } });
  anchorFile = join(h.dir, 'trust-anchors.conf');
  writeFileSync(anchorFile, tree.trustAnchors);
}, 60_000);

afterAll(async () => {
  await h?.stop();
  await resolver?.stop();
  await nsd?.stop();
});

/** delv's whole report: the verdict lines go to stdout, the failure lines to stderr. */
const validate = async (name: string, type: string): Promise<string> => {
  const run: ToolRun = await delv({ port: h.port }, anchorFile, [name, type]);
  return `${run.stdout}\n${run.stderr}`;
};

const sinkholeLine = (qname: string, qtype: string) => (l: LogLine): boolean => l['event'] === 'sinkhole' && l['qname'] === qname && l['qtype'] === qtype;

describe('DNSSEC-friendly blocks', () => {
  it('the test tree validates: signed names read as fully validated through hradba', async () => {
    const report = await validate('www.test', 'A');
    expect(report).toContain('; fully validated');
    expect(report).toContain('192.0.2.80');
    // The signed vendor's zone validates when asked around hradba (straight at the resolver).
    const direct = await delv({ port: resolver.port }, anchorFile, ['www.signed-vendor.test', 'A']);
    expect(direct.stdout).toContain('; fully validated');
  });

  it("a block in a signed vendor zone reads as a validation failure, and still gives no address", async () => {
    const report = await validate('www.signed-vendor.test', 'A');
    expect(report).toContain('resolution failed: broken trust chain');
    expect(report).not.toContain('192.0.2.61');
    expect(report).not.toContain('fully validated');
    await h.waitForLog(sinkholeLine('www.signed-vendor.test', 'A'), 5000);
  });

  it.each(['banned-vendor.test', 'chat.banned-vendor.test'])('a block of %s reads as an insecure NXDOMAIN, not a broken trust chain', async (name) => {
    const report = await validate(name, 'A');
    expect(report).not.toContain('broken trust chain');
    expect(report).toContain('resolution failed: ncache nxdomain');
    expect(report).toContain('; negative response, unsigned answer');
    // The vendor's address never reached the client: the NXDOMAIN is hradba's, with its own SOA.
    expect(report).not.toContain('192.0.2.5');
    expect(report).toContain('hradba.invalid.');
    await h.waitForLog(sinkholeLine(name, 'A'), 5000);
  });

  it("relays the DS of the listed apex: the parent's signed proof that the vendor's zone is unsigned", async () => {
    const run = parseDig((await dig({ port: h.port }, ['banned-vendor.test', 'DS', '+dnssec'])).stdout);
    expect(run.status).toBe('NOERROR');
    expect(run.answer).toEqual([]);
    expect(run.authority.some((r) => /^test\. \d+ IN SOA ns\.test\. /.test(r))).toBe(true);
    expect(run.authority.some((r) => /^banned-vendor\.test\. \d+ IN NSEC /.test(r))).toBe(true);
    expect(run.authority.some((r) => / IN RRSIG NSEC /.test(r))).toBe(true);
  });

  it('keeps the DS of a name below the apex sinkholed, and logs only that one', async () => {
    const run = parseDig((await dig({ port: h.port }, ['chat.banned-vendor.test', 'DS', '+dnssec'])).stdout);
    expect(run.status).toBe('NXDOMAIN');
    expect(run.authority.some((r) => /^banned-vendor\.test\. \d+ IN SOA hradba\.invalid\. /.test(r))).toBe(true);
    // Lines come out in order: once the later DS line is there, an apex DS line would be too.
    await h.waitForLog(sinkholeLine('chat.banned-vendor.test', 'DS'), 5000);
    expect(h.logs().filter(sinkholeLine('banned-vendor.test', 'DS'))).toEqual([]);
  });
});
