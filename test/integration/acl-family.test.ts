/**
 * An IPv6 network in access.allow never admits an IPv4 client (the running process answers 127.0.0.2 REFUSED under
 * `::/0`), and `hradba check` warns once for each rule that admits a whole address family.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dig, parseDig, rdata } from '../helpers/dig.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

let nsd: NsdServer;

beforeAll(async () => {
  nsd = await startNsd();
});

afterAll(async () => {
  await nsd?.stop();
});

describe('access.allow ["::/0"] on the running process', () => {
  let hradba: HradbaProcess;

  beforeAll(async () => {
    hradba = await startHradba({
      config: testConfig(nsd.port, { access: { allow: ['::/0'], action: 'refuse' } }),
      lists: { [TEST_LIST]: testvendorList() },
    });
  });

  afterAll(async () => {
    await hradba?.stop();
  });

  it.each(['127.0.0.2', '127.0.0.1'])('answers %s REFUSED: an IPv6 network admits no IPv4 client', async (from) => {
    const run = await dig({ port: hradba.port }, ['-b', from, 'www.example.test', 'A']);
    const a = parseDig(run.stdout);
    expect(a.status, run.stdout + run.stderr).toBe('REFUSED');
    expect(a.answer).toEqual([]);
  });

  it('answers an IPv6 client (::1) when IPv6 loopback works', async () => {
    if (!hradba.ipv6) {
      // Without IPv6 loopback the process listens on IPv4 only: nothing could admit an IPv6 client.
      const listening = hradba.logs().find((l) => l['event'] === 'listening');
      expect(String(listening?.['listeners'])).not.toContain('::1');
      return;
    }
    const a = parseDig((await dig({ host: '::1', port: hradba.port }, ['www.example.test', 'A'])).stdout);
    expect(a.status).toBe('NOERROR');
    expect(rdata(a, 'A')).toEqual(['192.0.2.10']);
  });
});

describe('hradba check on whole-family rules', () => {
  let dir: string;

  beforeAll(() => {
    dir = makeTempDir('hradba-acl-check');
    writeFileSync(join(dir, TEST_LIST), testvendorList());
  });

  afterAll(() => removeTempDir(dir));

  const checkWith = async (allow: string[]): Promise<string[]> => {
    const file = join(dir, 'hradba.yaml');
    writeFileSync(file, stringify({ ...testConfig(5300, { access: { allow, action: 'refuse' } }), listen: ['127.0.0.1:5353'] }));
    const r = await runCli(['check', '--config', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // Only the whole-family warnings: the listen and anti-bypass warnings of deployment-warnings.ts are tested apart.
    return r.stdout.split('\n').filter((l) => l.startsWith('warning:') && l.includes("access.allow '"));
  };

  it('warns once for ::/0 and once for 0.0.0.0/0, naming the family each admits', async () => {
    const warnings = await checkWith(['10.0.0.0/8', '::/0', '0.0.0.0/0']);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain("'::/0' admits every IPv6 client");
    expect(warnings[1]).toContain("'0.0.0.0/0' admits every IPv4 client");
    for (const w of warnings) expect(w).toContain('open resolver');
  });

  it('says nothing of the agency ranges', async () => {
    expect(await checkWith(['127.0.0.0/8', '10.0.0.0/8', 'fc00::/7'])).toEqual([]);
  });
});
