/** SIGTERM (and SIGINT) drain and exit 0 with every sinkhole line written out, followed by a shutdown line. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, parseDig } from '../helpers/dig.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';
import { freePort } from '../helpers/free-port.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';

describe.each(['SIGTERM', 'SIGINT'] as const)('%s', (signal) => {
  let hradba: HradbaProcess;

  beforeAll(async () => {
    // Only banned names are queried, so the upstream is never contacted; an unused port will do.
    const unusedUpstream = await freePort();
    hradba = await startHradba({ config: testConfig(unusedUpstream), lists: { [TEST_LIST]: testvendorList() } });
  });

  afterAll(async () => {
    await hradba?.stop();
  });

  it('exits 0 with the last sinkhole line and a shutdown line on stdout', async () => {
    const names = Array.from({ length: 5 }, (_, i) => `n${i}.banned-vendor.test`);
    for (const name of names) {
      const a = parseDig((await dig({ port: hradba.port }, [name, 'A'])).stdout);
      expect(a.status).toBe('NXDOMAIN');
    }
    hradba.kill(signal);
    const result = await Promise.race([
      hradba.exited,
      new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), 15_000)),
    ]);
    expect(result).toEqual({ code: 0, signal: null });

    const logs = hradba.logs();
    const sinkholed = logs.filter((l) => l['event'] === 'sinkhole').map((l) => String(l['qname']).toLowerCase());
    expect(sinkholed).toEqual(names);
    const shutdownAt = logs.findIndex((l) => l['event'] === 'shutdown');
    expect(shutdownAt, hradba.stdout()).toBeGreaterThanOrEqual(0);
    const lastSinkholeAt = logs.findLastIndex((l) => l['event'] === 'sinkhole');
    expect(shutdownAt).toBeGreaterThan(lastSinkholeAt);
  });
});

describe('SIGTERM with a forwarded query waiting for its upstream', () => {
  let hradba: HradbaProcess;
  let upstream: FakeUpstream;

  beforeAll(async () => {
    // The upstream answers after 800 ms: the query is still in flight when SIGTERM arrives.
    upstream = (await startFakeUpstream()).delay(800);
    hradba = await startHradba({ config: testConfig(upstream.address.port, { shutdown: { grace: '3s' } }), lists: { [TEST_LIST]: testvendorList() } });
  });

  afterAll(async () => {
    await hradba?.stop();
    await upstream?.close();
  });

  it('answers it before exiting 0, and stops taking new queries meanwhile', async () => {
    const pending = dig({ port: hradba.port }, ['slow.example.test', 'A', '+tries=1', '+time=5']);
    await upstream.waitForCalls(1);
    hradba.kill('SIGTERM');
    await hradba.waitForLog((l) => l['event'] === 'shutdown-requested', 5000);
    // A query sent after the signal finds the listener closed: no answer (dig times out or is refused).
    const late = await dig({ port: hradba.port }, ['late.banned-vendor.test', 'A', '+tries=1', '+time=1']);
    expect(parseDig(late.stdout).status).toBeNull();
    const run = await pending;
    const answered = parseDig(run.stdout);
    expect(answered.status, `${run.stdout}\n${hradba.stdout()}`).toBe('NOERROR');
    const result = await Promise.race([hradba.exited, new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), 15_000))]);
    expect(result).toEqual({ code: 0, signal: null });
    expect(hradba.logs().some((l) => l['qname'] === 'late.banned-vendor.test')).toBe(false);
  });
});
