/** An upstream that never answers costs the client a SERVFAIL within the forward deadline, not a client-side timeout. */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, parseDig } from '../helpers/dig.js';
import { freePort } from '../helpers/free-port.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

describe('upstream that swallows every query', () => {
  let blackHole: dgram.Socket;
  let swallowed = 0;
  let hradba: HradbaProcess;

  beforeAll(async () => {
    const port = await freePort();
    blackHole = dgram.createSocket('udp4');
    blackHole.on('message', () => swallowed++);
    await new Promise<void>((done) => blackHole.bind(port, '127.0.0.1', () => done()));
    hradba = await startHradba({
      config: testConfig(port, { forward: { attemptTimeout: '500ms', deadline: '1s', socketPool: 2 } }),
      lists: { [TEST_LIST]: testvendorList() },
    });
  });

  afterAll(async () => {
    await hradba?.stop();
    await new Promise<void>((done) => (blackHole ? blackHole.close(() => done()) : done()));
  });

  it.each([
    { transport: 'udp', args: [] },
    { transport: 'tcp', args: ['+tcp'] },
  ])('answers SERVFAIL over $transport before the client gives up', async ({ args }) => {
    const before = swallowed;
    const run = await dig({ port: hradba.port }, ['www.example.test', 'A', '+tries=1', '+timeout=5', ...args]);
    const a = parseDig(run.stdout);
    expect(a.status, run.stdout + run.stderr).toBe('SERVFAIL');
    expect(a.question[0]?.split(' ')[0]).toBe('www.example.test.');
    // The query did go upstream (and was swallowed there).
    expect(swallowed).toBeGreaterThan(before);
  });

  it('still sinkholes banned names without the upstream', async () => {
    const a = parseDig((await dig({ port: hradba.port }, ['chat.banned-vendor.test', 'A'])).stdout);
    expect(a.status).toBe('NXDOMAIN');
  });
});

describe('upstream port that is closed', () => {
  let hradba: HradbaProcess;

  beforeAll(async () => {
    const closedPort = await freePort();
    hradba = await startHradba({
      config: testConfig(closedPort, { forward: { attemptTimeout: '500ms', deadline: '1s', socketPool: 2 } }),
      lists: { [TEST_LIST]: testvendorList() },
    });
  });

  afterAll(async () => {
    await hradba?.stop();
  });

  it('answers SERVFAIL', async () => {
    const run = await dig({ port: hradba.port }, ['www.example.test', 'A', '+tries=1', '+timeout=5']);
    expect(parseDig(run.stdout).status, run.stdout + run.stderr).toBe('SERVFAIL');
  });
});
