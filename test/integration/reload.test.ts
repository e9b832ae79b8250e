/** SIGHUP reloads the lists without losing queries; a broken list is rejected with file:line and the old policy stays. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, parseDig, rdata } from '../helpers/dig.js';
import { buildQuery, createUdpClient, parseHeader, RCODE } from '../helpers/dns-client.js';
import { startHradba, type HradbaProcess, type LogLine } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

const isReload = (l: LogLine): boolean => l['event'] === 'reload';

let nsd: NsdServer;

beforeAll(async () => {
  nsd = await startNsd();
});

afterAll(async () => {
  await nsd?.stop();
});

describe('SIGHUP with a changed list while queries run', () => {
  let hradba: HradbaProcess;

  beforeAll(async () => {
    hradba = await startHradba({ config: testConfig(nsd.port), lists: { [TEST_LIST]: testvendorList() } });
  });

  afterAll(async () => {
    await hradba?.stop();
  });

  it('answers every query, logs reload ok:true, and then blocks the new name', async () => {
    const before = parseDig((await dig({ port: hradba.port }, ['newly-banned.example.test', 'A'])).stdout);
    expect(before.status).toBe('NOERROR');
    expect(rdata(before, 'A')).toEqual(['192.0.2.70']);

    const TOTAL = 300;
    const RELOAD_AT = 50;
    const names = ['www.example.test', 'chat.banned-vendor.test', 'newly-banned.example.test'];
    const client = await createUdpClient(hradba.port);
    const unanswered: number[] = [];
    const rcodes = new Map<string, Set<number>>();
    try {
      for (let i = 0; i < TOTAL; i++) {
        if (i === RELOAD_AT) {
          hradba.writeList(TEST_LIST, testvendorList(['newly-banned.example.test']));
          hradba.kill('SIGHUP');
        }
        const name = names[i % names.length] ?? 'www.example.test';
        const reply = await client.exchange(buildQuery({ id: (i * 7919 + 1) & 0xffff, name }), 3000);
        if (reply === null) {
          unanswered.push(i);
          continue;
        }
        const set = rcodes.get(name) ?? new Set<number>();
        set.add(parseHeader(reply).rcode);
        rcodes.set(name, set);
      }
    } finally {
      await client.close();
    }
    expect(unanswered, hradba.stderr()).toEqual([]);
    // Names untouched by the reload kept their answer throughout.
    expect([...(rcodes.get('www.example.test') ?? [])]).toEqual([RCODE.NOERROR]);
    expect([...(rcodes.get('chat.banned-vendor.test') ?? [])]).toEqual([RCODE.NXDOMAIN]);

    const reload = await hradba.waitForLog(isReload, 10_000);
    expect(reload['ok']).toBe(true);
    expect(typeof reload['policyVersion']).toBe('number');
    // The one summary line: entries per list, total entries, how long it took.
    expect(reload['lists']).toEqual({ testvendor: 3 });
    expect(reload['entries']).toBe(3);
    expect(reload['durationMs']).toEqual(expect.any(Number));
    expect(hradba.logs().filter(isReload)).toHaveLength(1);

    const after = parseDig((await dig({ port: hradba.port }, ['newly-banned.example.test', 'A'])).stdout);
    expect(after.status).toBe('NXDOMAIN');
    const line = await hradba.waitForLog((l) => l['event'] === 'sinkhole' && String(l['qname']).toLowerCase() === 'newly-banned.example.test', 5000);
    expect(line['policyVersion']).toBe(reload['policyVersion']);
    expect(line['list']).toBe('testvendor');
  });

  it('can be reloaded again, bumping the policy version', async () => {
    const first = hradba.logs().filter(isReload);
    hradba.writeList(TEST_LIST, testvendorList());
    hradba.kill('SIGHUP');
    const second = await hradba.waitForLog((l) => isReload(l) && !first.includes(l), 10_000);
    expect(second['ok']).toBe(true);
    expect(Number(second['policyVersion'])).toBeGreaterThan(Number(first.at(-1)?.['policyVersion']));
    const a = parseDig((await dig({ port: hradba.port }, ['newly-banned.example.test', 'A'])).stdout);
    expect(a.status).toBe('NOERROR');
  });

  it('applies a changed sinkhole mode from the config file', async () => {
    const seen = hradba.logs().filter(isReload);
    hradba.writeConfig({ ...testConfig(nsd.port, { sinkhole: { mode: 'null' } }), listen: [`127.0.0.1:${hradba.port}`, ...(hradba.ipv6 ? [`[::1]:${hradba.port}`] : [])] });
    hradba.kill('SIGHUP');
    const reload = await hradba.waitForLog((l) => isReload(l) && !seen.includes(l), 10_000);
    expect(reload['ok'], JSON.stringify(reload)).toBe(true);
    const a = parseDig((await dig({ port: hradba.port }, ['chat.banned-vendor.test', 'A'])).stdout);
    expect(a.status).toBe('NOERROR');
    expect(rdata(a, 'A')).toEqual(['0.0.0.0']);
  });
});

describe('SIGHUP with a broken list (maxBadLines 0)', () => {
  let hradba: HradbaProcess;

  beforeAll(async () => {
    hradba = await startHradba({ config: testConfig(nsd.port, { maxBadLines: 0 }), lists: { [TEST_LIST]: testvendorList() } });
  });

  afterAll(async () => {
    await hradba?.stop();
  });

  it('logs reload ok:false with file:line and keeps blocking with the old policy', async () => {
    const broken = testvendorList(['newly-banned.example.test', 'bad domain!!']);
    const badLine = broken.split('\n').indexOf('bad domain!!') + 1;
    hradba.writeList(TEST_LIST, broken);
    hradba.kill('SIGHUP');
    const reload = await hradba.waitForLog(isReload, 10_000);
    expect(reload['ok'], JSON.stringify(reload)).toBe(false);
    const errors = JSON.stringify(reload['errors'] ?? reload);
    expect(errors).toContain(`${TEST_LIST}:${badLine}`);

    const blocked = parseDig((await dig({ port: hradba.port }, ['chat.banned-vendor.test', 'A'])).stdout);
    expect(blocked.status, `${blocked.text}\n${hradba.stderr()}`).toBe('NXDOMAIN');
    // The half-good new list was not applied.
    const notYet = parseDig((await dig({ port: hradba.port }, ['newly-banned.example.test', 'A'])).stdout);
    expect(notYet.status).toBe('NOERROR');
    expect(hradba.proc.exitCode).toBeNull();
  });

  it('recovers on the next SIGHUP once the list is fixed', async () => {
    const seen = hradba.logs().filter(isReload);
    hradba.writeList(TEST_LIST, testvendorList(['newly-banned.example.test']));
    hradba.kill('SIGHUP');
    const reload = await hradba.waitForLog((l) => isReload(l) && !seen.includes(l), 10_000);
    expect(reload['ok']).toBe(true);
    const a = parseDig((await dig({ port: hradba.port }, ['newly-banned.example.test', 'A'])).stdout);
    expect(a.status).toBe('NXDOMAIN');
  });
});

describe('SIGHUP as soon as the listening line appears', () => {
  // An orchestrator may reload the moment hradba reports readiness, so the handlers must be in place by
  // then: Node's default action for an unhandled SIGHUP is to terminate. The signal goes out from the
  // stdout handler itself, and several instances run, because an early signal only sometimes lands in the gap.
  it('reloads instead of dying, in every one of 8 instances', async () => {
    const instances = await Promise.all(
      Array.from({ length: 8 }, () =>
        startHradba({
          config: testConfig(nsd.port),
          lists: { [TEST_LIST]: testvendorList() },
          onLogLine: (line, proc) => {
            if (line['event'] === 'listening') proc.kill('SIGHUP');
          },
        }),
      ),
    );
    try {
      const outcomes = await Promise.all(
        instances.map((h) =>
          h.waitForLog(isReload, 10_000).then(
            (l) => (l['ok'] === true ? 'reloaded' : `reload failed: ${JSON.stringify(l)}`),
            () => `no reload line; exit signal ${String(h.proc.signalCode)}`,
          ),
        ),
      );
      expect(outcomes).toEqual(instances.map(() => 'reloaded'));
    } finally {
      await Promise.all(instances.map((h) => h.stop()));
    }
  });
});
