/**
 * The evidence lines on the wire and in the log, through the running process: every sinkhole line says what the
 * client received (checked against what dig received), and the sinkhole, bypass and exception lines carry the same
 * client fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, parseDig, rdata } from '../helpers/dig.js';
import { freePort } from '../helpers/free-port.js';
import { startHradba, type HradbaProcess, type LogLine } from '../helpers/hradba.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

/** What dig says the client got, in the vocabulary of the `received` field. */
function receivedByDig(stdout: string, type: string): string {
  const a = parseDig(stdout);
  if (a.status !== 'NOERROR') return String(a.status);
  const addresses = rdata(a, type);
  return addresses.length === 0 ? 'NODATA' : (addresses[0] ?? '');
}

const MODES: readonly { mode: string; sinkhole: Record<string, unknown>; want: Record<string, string> }[] = [
  { mode: 'nxdomain', sinkhole: { mode: 'nxdomain' }, want: { A: 'NXDOMAIN', AAAA: 'NXDOMAIN', TXT: 'NXDOMAIN' } },
  { mode: 'nodata', sinkhole: { mode: 'nodata' }, want: { A: 'NODATA', AAAA: 'NODATA', TXT: 'NODATA' } },
  { mode: 'refused', sinkhole: { mode: 'refused' }, want: { A: 'REFUSED', AAAA: 'REFUSED', TXT: 'REFUSED' } },
  { mode: 'null', sinkhole: { mode: 'null' }, want: { A: '0.0.0.0', AAAA: '::', TXT: 'NODATA' } },
  { mode: 'ip', sinkhole: { mode: 'ip', ipv4: '192.0.2.99', ipv6: null }, want: { A: '192.0.2.99', AAAA: 'NODATA', TXT: 'NODATA' } },
];

describe.each(MODES)('received, sinkhole mode $mode', ({ mode, sinkhole, want }) => {
  let hradba: HradbaProcess;

  beforeAll(async () => {
    // Only banned names are asked: the upstream is never contacted.
    hradba = await startHradba({ config: testConfig(await freePort(), { sinkhole }), lists: { [TEST_LIST]: testvendorList() } });
  });

  afterAll(async () => {
    await hradba?.stop();
  });

  it.each(['A', 'AAAA', 'TXT'])('%s: the line says what dig received', async (type) => {
    const qname = `r-${type.toLowerCase()}.banned-vendor.test`;
    const run = await dig({ port: hradba.port }, [qname, type]);
    const line = await hradba.waitForLog((l) => l['event'] === 'sinkhole' && l['qname'] === qname, 5000);
    expect(line['mode']).toBe(mode);
    expect(line['received']).toBe(want[type]);
    expect(line['received']).toBe(receivedByDig(run.stdout, type));
  });
});

describe('the same client fields on every evidence line', () => {
  let hradba: HradbaProcess;

  beforeAll(async () => {
    hradba = await startHradba({
      config: testConfig(await freePort(), {
        clients: [{ name: 'desk-1', address: '127.0.0.1' }],
        groups: [{ name: 'office', clients: ['127.0.0.1/32'], exceptions: [{ domain: 'allowed.banned-vendor.test', reason: 'vendor support case' }] }],
        antiBypass: { firefoxCanary: true },
      }),
      lists: { [TEST_LIST]: testvendorList() },
    });
  });

  afterAll(async () => {
    await hradba?.stop();
  });

  const clientOf = (l: LogLine): Record<string, unknown> => ({
    client: l['client'],
    clientPort: typeof l['clientPort'],
    transport: l['transport'],
    clientName: l['clientName'],
    group: l['group'],
  });

  it.each(['udp', 'tcp'] as const)('over %s: sinkhole, bypass and exception lines name the client alike', async (transport) => {
    const extra = transport === 'tcp' ? ['+tcp'] : [];
    const blocked = `c-${transport}.banned-vendor.test`;
    await dig({ port: hradba.port }, [blocked, 'A', ...extra]);
    await dig({ port: hradba.port }, ['use-application-dns.net', 'A', ...extra]);
    await dig({ port: hradba.port }, ['allowed.banned-vendor.test', 'A', '+time=1', ...extra]);
    const sinkhole = await hradba.waitForLog((l) => l['event'] === 'sinkhole' && l['qname'] === blocked, 5000);
    const bypass = await hradba.waitForLog((l) => l['event'] === 'bypass' && l['transport'] === transport, 5000);
    const exception = await hradba.waitForLog((l) => l['event'] === 'exception' && l['transport'] === transport, 5000);
    const want = { client: '127.0.0.1', clientPort: 'number', transport, clientName: 'desk-1', group: 'office' };
    expect(clientOf(sinkhole)).toEqual(want);
    expect(clientOf(bypass)).toEqual(want);
    expect(clientOf(exception)).toEqual(want);
    for (const l of [sinkhole, bypass, exception]) expect(Number(l['clientPort'])).toBeGreaterThan(0);
    // The bypass signal's answer is recorded like a sinkhole's.
    expect(bypass['received']).toBe('NXDOMAIN');
  });
});
