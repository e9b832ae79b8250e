/** access.allow decides who may query: others get REFUSED (action refuse) or nothing at all (action drop). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, isNoReply, parseDig, rdata } from '../helpers/dig.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

let nsd: NsdServer;

beforeAll(async () => {
  nsd = await startNsd();
});

afterAll(async () => {
  await nsd?.stop();
});

describe('access.action refuse', () => {
  let hradba: HradbaProcess;

  beforeAll(async () => {
    hradba = await startHradba({
      config: testConfig(nsd.port, { access: { allow: ['127.0.0.1/32'], action: 'refuse' } }),
      lists: { [TEST_LIST]: testvendorList() },
    });
  });

  afterAll(async () => {
    await hradba?.stop();
  });

  it('answers REFUSED to 127.0.0.2 over udp', async () => {
    const run = await dig({ port: hradba.port }, ['-b', '127.0.0.2', 'www.example.test', 'A']);
    const a = parseDig(run.stdout);
    expect(a.status, run.stdout + run.stderr).toBe('REFUSED');
    expect(a.answer).toEqual([]);
  });

  it('closes the TCP connection of 127.0.0.2 at accept: no answer at all', async () => {
    const run = await dig({ port: hradba.port }, ['-b', '127.0.0.2', 'www.example.test', 'A', '+tcp']);
    expect(parseDig(run.stdout).status, run.stdout + run.stderr).toBeNull();
    expect(run.stdout + run.stderr).toMatch(/communications error|connection reset|end of file/);
  });

  it('refuses 127.0.0.2 even for a banned name (no sinkhole log for it)', async () => {
    const run = await dig({ port: hradba.port }, ['-b', '127.0.0.2', 'acl-check.banned-vendor.test', 'A']);
    expect(parseDig(run.stdout).status).toBe('REFUSED');
    // Let a later line from 127.0.0.1 prove the log is flowing before asserting absence.
    await dig({ port: hradba.port }, ['acl-marker.banned-vendor.test', 'A']);
    await hradba.waitForLog((l) => String(l['qname']).toLowerCase() === 'acl-marker.banned-vendor.test', 5000);
    expect(hradba.logs().filter((l) => String(l['qname']).toLowerCase() === 'acl-check.banned-vendor.test' && l['event'] === 'sinkhole')).toEqual([]);
  });

  it('answers 127.0.0.1', async () => {
    const a = parseDig((await dig({ port: hradba.port }, ['-b', '127.0.0.1', 'www.example.test', 'A'])).stdout);
    expect(a.status).toBe('NOERROR');
    expect(rdata(a, 'A')).toEqual(['192.0.2.10']);
  });
});

describe('access.action drop', () => {
  let hradba: HradbaProcess;

  beforeAll(async () => {
    hradba = await startHradba({
      config: testConfig(nsd.port, { access: { allow: ['127.0.0.1/32'], action: 'drop' } }),
      lists: { [TEST_LIST]: testvendorList() },
    });
  });

  afterAll(async () => {
    await hradba?.stop();
  });

  it('closes the TCP connection of 127.0.0.2 at accept', async () => {
    const run = await dig({ port: hradba.port }, ['-b', '127.0.0.2', 'www.example.test', 'A', '+tcp']);
    expect(parseDig(run.stdout).status, run.stdout + run.stderr).toBeNull();
    expect(run.stdout + run.stderr).toMatch(/communications error|connection reset|end of file/);
  });

  it('sends 127.0.0.2 nothing (dig times out)', async () => {
    const run = await dig({ port: hradba.port }, ['-b', '127.0.0.2', 'www.example.test', 'A', '+timeout=1', '+tries=1']);
    expect(parseDig(run.stdout).status).toBeNull();
    expect(isNoReply(run), run.stdout + run.stderr).toBe(true);
  });

  it('answers 127.0.0.1', async () => {
    const a = parseDig((await dig({ port: hradba.port }, ['-b', '127.0.0.1', 'www.example.test', 'A'])).stdout);
    expect(rdata(a, 'A')).toEqual(['192.0.2.10']);
  });
});
