/**
 * `hradba export rpz` reads each list file once: the entries that go into the policy are the ones it writes out.
 * The list is a named pipe the test writes exactly once; a second read of it would wait for a writer for ever.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../helpers/run-cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

describe('hradba export rpz reads each list once', () => {
  let dir: string;
  let config: string;

  beforeAll(() => {
    dir = makeTempDir('export-once');
    execFileSync('mkfifo', [join(dir, TEST_LIST)]);
    config = join(dir, 'hradba.yaml');
    writeFileSync(config, stringify({ ...testConfig(5300), listen: ['127.0.0.1:5353'] }));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports the entries of a list that can be read only once (a pipe written once)', async () => {
    const run = runCli(['export', 'rpz', '--config', config], { timeoutMs: 10_000 });
    // One writer, one pass of the text, then end of file: a second open for reading would find no writer.
    const writer = createWriteStream(join(dir, TEST_LIST));
    writer.end(testvendorList());
    const r = await run;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^banned-vendor\.test CNAME \. ; testvendor /m);
    expect(r.stdout).toMatch(/^\*\.banned-vendor\.test CNAME \. ; testvendor /m);
    expect(r.stdout).toMatch(/^exact\.example\.net CNAME \. ; testvendor /m);
  });
});
