/** The other sinkhole modes (null, nodata, refused, ip), each in its own hradba instance forwarding to a real NSD. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, parseDig, rdata, type DigAnswer } from '../helpers/dig.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

interface Expectation {
  readonly type: 'A' | 'AAAA';
  readonly status: string;
  /** rdata of the A/AAAA answers. */
  readonly answers: readonly string[];
}

const MODES: readonly { mode: string; sinkhole: Record<string, unknown>; want: readonly Expectation[] }[] = [
  {
    mode: 'null',
    sinkhole: { mode: 'null' },
    want: [
      { type: 'A', status: 'NOERROR', answers: ['0.0.0.0'] },
      { type: 'AAAA', status: 'NOERROR', answers: ['::'] },
    ],
  },
  {
    mode: 'nodata',
    sinkhole: { mode: 'nodata' },
    want: [
      { type: 'A', status: 'NOERROR', answers: [] },
      { type: 'AAAA', status: 'NOERROR', answers: [] },
    ],
  },
  {
    mode: 'refused',
    sinkhole: { mode: 'refused' },
    want: [
      { type: 'A', status: 'REFUSED', answers: [] },
      { type: 'AAAA', status: 'REFUSED', answers: [] },
    ],
  },
  {
    mode: 'ip',
    sinkhole: { mode: 'ip', ipv4: '192.0.2.99', ipv6: null },
    // No IPv6 block page configured: AAAA gets an empty NOERROR, never the vendor's real address.
    want: [
      { type: 'A', status: 'NOERROR', answers: ['192.0.2.99'] },
      { type: 'AAAA', status: 'NOERROR', answers: [] },
    ],
  },
];

let nsd: NsdServer;

beforeAll(async () => {
  nsd = await startNsd();
});

afterAll(async () => {
  await nsd?.stop();
});

describe.each(MODES)('sinkhole mode $mode', ({ sinkhole, want }) => {
  let hradba: HradbaProcess;

  beforeAll(async () => {
    hradba = await startHradba({ config: testConfig(nsd.port, { sinkhole }), lists: { [TEST_LIST]: testvendorList() } });
  });

  afterAll(async () => {
    await hradba?.stop();
  });

  const query = async (args: readonly string[]): Promise<DigAnswer> => {
    const run = await dig({ port: hradba.port }, args);
    const a = parseDig(run.stdout);
    if (a.status === null) throw new Error(`no reply to ${args.join(' ')}\n${run.stdout}${run.stderr}`);
    return a;
  };

  it.each(want)('answers $type for a banned name with $status $answers', async ({ type, status, answers }) => {
    for (const transport of [[], ['+tcp']]) {
      const a = await query(['chat.banned-vendor.test', type, ...transport]);
      expect(a.status, a.text).toBe(status);
      expect(rdata(a, type), a.text).toEqual(answers);
      // The vendor's real addresses (192.0.2.52, 2001:db8::52) must never come through.
      expect(a.text).not.toMatch(/192\.0\.2\.52|2001:db8::52/);
    }
  });

  it('still forwards allowed names', async () => {
    const a = await query(['www.example.test', 'A']);
    expect(rdata(a, 'A')).toEqual(['192.0.2.10']);
  });

  it('logs the mode in the sinkhole line', async () => {
    await query(['mode-log.banned-vendor.test', 'A']);
    const line = await hradba.waitForLog((l) => l['event'] === 'sinkhole' && String(l['qname']).toLowerCase() === 'mode-log.banned-vendor.test', 5000);
    expect(line['mode']).toBe(sinkhole['mode']);
  });
});
