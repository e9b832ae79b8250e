/** The resolver keys (upstream URLs, cache, pool, forwardZones, ecs): values read, and each mistake reported at its line. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { formatLocated, HradbaError } from '../../src/errors.js';

const FILE = '/cfg/hradba.yaml';
const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;

function problems(text: string): string[] {
  try {
    parseConfig(text, FILE);
    return [];
  } catch (err) {
    if (!(err instanceof HradbaError)) throw err;
    return err.problems.map(formatLocated);
  }
}

describe('resolver keys', () => {
  it('reads every key', () => {
    const cfg = parseConfig(
      yaml(
        'upstreams:',
        '  - 192.0.2.53',
        '  - tls://dns.example@192.0.2.54',
        '  - "https://dns.example@[2001:db8::55]:8443/q"',
        'cache: { enabled: false, maxEntries: 10, maxBytes: 70000, minTtl: 5s, maxTtl: 1h, maxNegativeTtl: 1m, serveStale: true, staleMaxAge: 2h, prefetch: false }',
        'pool: { strategy: fastest, maxFails: 5, probeInterval: 2s, maxInFlight: 50 }',
        'forwardZones:',
        '  - zone: Corp.Example.',
        '    upstreams: ["10.0.0.10", "tcp://10.0.0.11"]',
        'ecs: { strip: false }',
      ),
      FILE,
    );
    expect(cfg.upstreams.map((u) => u.url)).toEqual([
      'udp://192.0.2.53:53',
      'tls://dns.example@192.0.2.54:853',
      'https://dns.example@[2001:db8::55]:8443/q',
    ]);
    expect(cfg.cache).toEqual({
      enabled: false,
      maxEntries: 10,
      maxBytes: 70000,
      minTtlSec: 5,
      maxTtlSec: 3600,
      maxNegativeTtlSec: 60,
      serveStale: true,
      staleMaxAgeSec: 7200,
      prefetch: false,
    });
    expect(cfg.pool).toEqual({ strategy: 'fastest', maxFails: 5, probeIntervalMs: 2000, maxInFlight: 50 });
    expect(cfg.forwardZones.map((z) => [z.zone, z.upstreams.map((u) => u.url)])).toEqual([
      ['corp.example', ['udp://10.0.0.10:53', 'tcp://10.0.0.11:53']],
    ]);
    expect(cfg.ecs).toEqual({ strip: false });
  });

  it.each<[string, string, string[]]>([
    ['a name as upstream', yaml('upstreams:', '  - dns.quad9.net'), [`${FILE}:2: upstreams[0]: 'dns.quad9.net' is not an IP address (give an IP literal such as 192.0.2.1 or [2001:db8::1]; names are not resolved)`]],
    ['the same upstream twice', yaml('upstreams: ["192.0.2.1", "udp://192.0.2.1:53"]'), [`${FILE}:1: upstreams[1]: same upstream as upstreams[0] (udp://192.0.2.1:53)`]],
    ['a bad strategy', yaml('pool:', '  strategy: random'), [`${FILE}:2: pool.strategy: must be one of sequential, round-robin, fastest (got 'random')`]],
    ['minTtl above maxTtl', yaml('cache:', '  minTtl: 2h', '  maxTtl: 1h'), [`${FILE}:2: cache.minTtl: must not be longer than cache.maxTtl (3600s)`]],
    ['a TTL in milliseconds', yaml('cache:', '  maxTtl: 1500ms'), [`${FILE}:2: cache.maxTtl: must be a whole number of seconds, as DNS TTLs are (got '1500ms')`]],
    ['a zone without upstreams', yaml('forwardZones:', '  - zone: corp.example'), [`${FILE}:2: forwardZones[0].upstreams: required`]],
    ['a bad zone name', yaml('forwardZones:', '  - zone: "corp example"', '    upstreams: ["10.0.0.1"]'), [`${FILE}:2: forwardZones[0].zone: must be a domain name such as 'corp.example' or '10.in-addr.arpa' (got 'corp example')`]],
    ['the same zone twice', yaml('forwardZones:', '  - { zone: corp.example, upstreams: ["10.0.0.1"] }', '  - { zone: CORP.example., upstreams: ["10.0.0.2"] }'), [`${FILE}:3: forwardZones[1].zone: same zone as forwardZones[0] ('corp.example')`]],
    ['an unknown key in a rule', yaml('forwardZones:', '  - { zone: corp.example, upstreams: ["10.0.0.1"], upstream: [] }'), [`${FILE}:2: forwardZones[0].upstream: unknown key 'upstream' (known: zone, upstreams); did you mean 'upstreams'?`]],
    ['a non-boolean strip', yaml('ecs:', '  strip: yes please'), [`${FILE}:2: ecs.strip: must be true or false (got 'yes please')`]],
  ])('%s', (_what, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });
});
