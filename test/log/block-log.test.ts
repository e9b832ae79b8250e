import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logSinkhole, type SinkholeEvent } from '../../src/log/block-log.js';
import { createLogger, type AppLogger } from '../../src/log/logger.js';
import type { ListInfo, PolicyEntry } from '../../src/policy/types.js';

const deepseek: ListInfo = {
  id: 'deepseek',
  file: '/opt/hradba/blocklists/deepseek.list',
  vendor: 'deepseek',
  vendorName: 'DeepSeek',
  basis: [
    { authority: 'Government of the Czech Republic (Fiala cabinet)', date: '2025-07-09', title: 'Ban in state administration', url: 'https://example.org/ban' },
    { authority: 'NÚKIB, Czech Republic', date: '2025-07-10', title: 'Warning', url: 'https://example.org/warning' },
  ],
};

const noBasis: ListInfo = { id: 'extra', file: '/etc/hradba/extra.txt', vendor: 'example', vendorName: 'Example Ltd.', basis: [] };

function entry(list: ListInfo, domain: string, exact: boolean): PolicyEntry {
  return { domain, exact, list, line: 3 };
}

function event(over: Partial<SinkholeEvent> = {}): SinkholeEvent {
  return {
    client: '127.0.0.1',
    clientPort: 53211,
    transport: 'udp',
    qname: 'chat.deepseek.com',
    qtype: 1,
    mode: 'nxdomain',
    entry: entry(deepseek, 'deepseek.com', false),
    policyVersion: 3,
    ...over,
  };
}

let dir: string;
let logger: AppLogger | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hradba-block-log-'));
});

afterEach(async () => {
  await logger?.close();
  logger = null;
  await rm(dir, { recursive: true, force: true });
});

async function logged(level: string, events: SinkholeEvent[]): Promise<Record<string, unknown>[]> {
  const file = join(dir, 'block.log');
  logger = createLogger({ level, file });
  for (const ev of events) logSinkhole(logger.log, ev);
  await logger.flush();
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('logSinkhole', () => {
  it('writes one line with every field of the block log', async () => {
    const lines = await logged('info', [event()]);
    expect(lines).toEqual([
      {
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        pid: process.pid,
        event: 'sinkhole',
        client: '127.0.0.1',
        clientPort: 53211,
        transport: 'udp',
        qname: 'chat.deepseek.com',
        qtype: 'A',
        mode: 'nxdomain',
        match: 'deepseek.com',
        matchExact: false,
        list: 'deepseek',
        vendor: 'deepseek',
        basis: { authority: 'Government of the Czech Republic (Fiala cabinet)', date: '2025-07-09' },
        policyVersion: 3,
        msg: 'sinkholed',
      },
    ]);
  });

  it.each([
    { qtype: 1, name: 'A' },
    { qtype: 28, name: 'AAAA' },
    { qtype: 65, name: 'HTTPS' },
    { qtype: 1234, name: 'TYPE1234' },
  ])('names qtype $qtype as $name', async ({ qtype, name }) => {
    const [line] = await logged('info', [event({ qtype })]);
    expect(line?.['qtype']).toBe(name);
  });

  it('records an exact match, TCP, another mode and a list without basis', async () => {
    const [line] = await logged('info', [
      event({
        client: '::1',
        clientPort: 40000,
        transport: 'tcp',
        qname: 'tracker.example.org',
        qtype: 28,
        mode: 'refused',
        entry: entry(noBasis, 'tracker.example.org', true),
        policyVersion: 7,
      }),
    ]);
    expect(line).toMatchObject({
      client: '::1',
      clientPort: 40000,
      transport: 'tcp',
      qname: 'tracker.example.org',
      qtype: 'AAAA',
      mode: 'refused',
      match: 'tracker.example.org',
      matchExact: true,
      list: 'extra',
      vendor: 'example',
      basis: null,
      policyVersion: 7,
    });
  });

  it('writes the same basis on every line of a list', async () => {
    const lines = await logged('info', [event(), event({ qname: 'api.deepseek.com' }), event({ qname: 'deepseek.com' })]);
    expect(lines.map((l) => l['qname'])).toEqual(['chat.deepseek.com', 'api.deepseek.com', 'deepseek.com']);
    for (const l of lines) expect(l['basis']).toEqual({ authority: 'Government of the Czech Republic (Fiala cabinet)', date: '2025-07-09' });
  });

  it('writes nothing when info is disabled', async () => {
    expect(await logged('warn', [event(), event()])).toEqual([]);
  });
});
