/** `hradba explain` names where an allowed name goes: its forwardZones rule (even over a local zone), else the upstreams. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../helpers/run-cli.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

let dir: string;
let config: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hradba-explain-'));
  writeFileSync(join(dir, TEST_LIST), testvendorList());
  config = join(dir, 'hradba.yaml');
  writeFileSync(
    config,
    stringify({
      ...testConfig(5300, {
        upstreams: ['127.0.0.1:5300', 'tls://dns.example@127.0.0.1:8853'],
        forwardZones: [
          { zone: 'corp.example', upstreams: ['127.0.0.2:53'] },
          { zone: '10.in-addr.arpa', upstreams: ['127.0.0.3:53'] },
        ],
      }),
      listen: ['127.0.0.1:5353'],
    }),
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('hradba explain with upstream URLs and forwardZones', () => {
  it.each([
    ['dc1.corp.example', 'forwarded (forwardZones: corp.example) to udp://127.0.0.2:53'],
    ['4.3.2.10.in-addr.arpa', 'forwarded (forwardZones: 10.in-addr.arpa) to udp://127.0.0.3:53'],
    ['www.example.org', 'forwarded to udp://127.0.0.1:5300, tls://dns.example@127.0.0.1:8853'],
  ])('%s', async (name, expected) => {
    const r = await runCli(['explain', name, '--json', '--config', config]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'allowed', answer: expected });
  });

  it('a private reverse name without a rule is still answered locally', async () => {
    const r = await runCli(['explain', '1.1.168.192.in-addr.arpa', '--json', '--config', config]);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'answered locally', localZone: '168.192.in-addr.arpa' });
  });

  it('check rejects a tls:// upstream without a certificate name, with file:line', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, stringify({ ...testConfig(5300, { upstreams: ['tls://127.0.0.1'] }), listen: ['127.0.0.1:5353'] }));
    const r = await runCli(['check', '--config', bad]);
    expect(r.code).toBe(78);
    expect(r.stdout + r.stderr).toMatch(/bad\.yaml:\d+: upstreams\[0\]: 'tls:\/\/127\.0\.0\.1': needs the server's certificate name/);
  });
});
