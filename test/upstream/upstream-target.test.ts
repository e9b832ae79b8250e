/** Tests for turning configured upstreams into canonical addresses that replies are checked against. */
import { describe, expect, it } from 'vitest';
import { HradbaError } from '../../src/errors.js';
import { toUpstreamTarget } from '../../src/upstream/upstream-target.js';

describe('toUpstreamTarget', () => {
  it.each([
    { host: '127.0.0.1', address: '127.0.0.1', family: 4 },
    { host: '::1', address: '::1', family: 6 },
    { host: '0:0:0:0:0:0:0:1', address: '::1', family: 6 },
    { host: '2001:DB8:0:0::53', address: '2001:db8::53', family: 6 },
    { host: '::ffff:192.0.2.53', address: '192.0.2.53', family: 4 },
  ])('$host → $address (IPv$family)', ({ host, address, family }) => {
    const t = toUpstreamTarget({ host, port: 53 }, 2);
    expect(t).toEqual({ index: 2, hostPort: { host, port: 53 }, address, port: 53, family });
  });

  it.each([
    { host: 'dns.example.org', port: 53 },
    { host: '[::1]', port: 53 },
    { host: '127.0.0.1', port: 0 },
    { host: '127.0.0.1', port: 65536 },
  ])('rejects $host port $port with HRADBA_ERR_CONFIG', (hp) => {
    expect(() => toUpstreamTarget(hp, 0)).toThrow(HradbaError);
    expect(() => toUpstreamTarget(hp, 0)).toThrow(expect.objectContaining({ code: 'HRADBA_ERR_CONFIG' }));
  });
});
