import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HradbaError } from '../../src/errors.js';
import { createLogger, type AppLogger } from '../../src/log/logger.js';

let dir: string;
const open: AppLogger[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hradba-log-'));
});

afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
  await rm(dir, { recursive: true, force: true });
});

function make(level: string, file: string): AppLogger {
  const l = createLogger({ level, file });
  open.push(l);
  return l;
}

async function readJsonLines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('createLogger', () => {
  it('writes JSON lines with a level label, an ISO time and the pid, but no hostname; flush() makes them readable', async () => {
    const file = join(dir, 'nested', 'deeper', 'hradba.log');
    const l = make('info', file);
    l.log.info({ event: 'listening', n: 1 }, 'hello');
    await l.flush();

    const lines = await readJsonLines(file);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      pid: process.pid,
      event: 'listening',
      n: 1,
      msg: 'hello',
    });
    expect(line).not.toHaveProperty('hostname');
  });

  it('keeps every line of a burst, in order', async () => {
    const file = join(dir, 'burst.log');
    const l = make('info', file);
    const n = 5000;
    for (let i = 0; i < n; i++) l.log.info({ i }, 'burst');
    await l.flush();

    const lines = await readJsonLines(file);
    expect(lines.map((x) => x['i'])).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('resolves flush() when nothing is pending', async () => {
    const file = join(dir, 'idle.log');
    const l = make('info', file);
    await l.flush();
    await l.flush();
    expect(await readFile(file, 'utf8')).toBe('');
  });

  it.each([
    { level: 'warn', written: ['warn', 'error'] },
    { level: 'info', written: ['info', 'warn', 'error'] },
    { level: 'debug', written: ['debug', 'info', 'warn', 'error'] },
    { level: 'silent', written: [] },
  ])('level $level writes only $written', async ({ level, written }) => {
    const file = join(dir, `level-${level}.log`);
    const l = make(level, file);
    l.log.debug('d');
    l.log.info('i');
    l.log.warn('w');
    l.log.error('e');
    await l.flush();
    const lines = await readJsonLines(file);
    expect(lines.map((x) => x['level'])).toEqual(written);
  });

  it('appends to an existing file', async () => {
    const file = join(dir, 'append.log');
    await writeFile(file, '{"old":true}\n');
    const l = make('info', file);
    l.log.info('new');
    await l.flush();
    const lines = await readJsonLines(file);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({ old: true });
    expect(lines[1]).toMatchObject({ msg: 'new' });
  });

  it('close() writes what is buffered, and later calls are no-ops', async () => {
    const file = join(dir, 'close.log');
    const l = createLogger({ level: 'info', file });
    for (let i = 0; i < 100; i++) l.log.info({ i }, 'before close');
    await l.close();
    expect(() => l.log.info('after close')).not.toThrow();
    await l.flush();
    l.flushSync();
    await l.close();
    const lines = await readJsonLines(file);
    expect(lines).toHaveLength(100);
    expect(lines.at(-1)).toMatchObject({ i: 99 });
  });

  it('flushSync() writes buffered lines before returning', async () => {
    const file = join(dir, 'sync.log');
    const l = make('info', file);
    for (let i = 0; i < 200; i++) l.log.info({ i }, 'sync');
    l.flushSync();
    // The first line started an async write at once; flushSync writes everything queued behind it.
    const now = readFileSync(file, 'utf8').split('\n').filter((x) => x !== '');
    expect(now.length).toBeGreaterThanOrEqual(199);
    await l.flush();
    const lines = await readJsonLines(file);
    // flushSync cannot wait for the write already in flight, so only the set of lines is certain.
    expect(lines.map((x) => x['i']).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('throws HRADBA_ERR_LOG when the log file cannot be opened', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, '');
    let caught: unknown;
    try {
      createLogger({ level: 'info', file: join(blocker, 'sub', 'hradba.log') });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HradbaError);
    expect((caught as HradbaError).code).toBe('HRADBA_ERR_LOG');
    expect((caught as HradbaError).message).toContain(blocker);
  });

  it('throws HRADBA_ERR_LOG on an unknown level, before opening the file', async () => {
    const file = join(dir, 'never.log');
    expect(() => createLogger({ level: 'loud', file })).toThrow(expect.objectContaining({ code: 'HRADBA_ERR_LOG' }));
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('uses stdout when file is null and leaves stdout open on close()', async () => {
    const l = createLogger({ level: 'info', file: null });
    await l.flush();
    await l.close();
    expect(process.stdout.writable).toBe(true);
  });
});
