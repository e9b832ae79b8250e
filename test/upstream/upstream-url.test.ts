/** The upstream syntax: bare addresses stay UDP; udp/tcp/tls/https URLs; names only for the certificate; pins. */
import { describe, expect, it } from 'vitest';
import { upstreamOrError } from '../../src/upstream/upstream-url.js';

const PIN = Buffer.alloc(32, 1).toString('base64');

describe('upstreamOrError', () => {
  it.each([
    ['192.0.2.53', { transport: 'udp', host: '192.0.2.53', port: 53, url: 'udp://192.0.2.53:53' }],
    ['192.0.2.53:5353', { transport: 'udp', port: 5353 }],
    ['[2001:db8::53]:54', { transport: 'udp', host: '2001:db8::53', port: 54, url: 'udp://[2001:db8::53]:54' }],
    ['udp://192.0.2.53', { transport: 'udp', port: 53 }],
    ['tcp://[2620:fe::fe]:53', { transport: 'tcp', host: '2620:fe::fe', port: 53 }],
    ['tls://dns.quad9.net@9.9.9.9', { transport: 'tls', tlsName: 'dns.quad9.net', host: '9.9.9.9', port: 853, path: null }],
    ['TLS://DNS.Example@192.0.2.1:8853', { transport: 'tls', tlsName: 'dns.example', port: 8853 }],
    ['https://dns.example@192.0.2.1/dns-query', { transport: 'https', tlsName: 'dns.example', port: 443, path: '/dns-query' }],
    ['https://dns.example@192.0.2.1:8443', { transport: 'https', port: 8443, path: '/dns-query' }],
    ['https://dns.example@[2001:db8::1]/q?x=1', { transport: 'https', host: '2001:db8::1', path: '/q?x=1' }],
    [`tls://dns.example@192.0.2.1#pin=${PIN}`, { transport: 'tls', spkiPin: PIN, url: `tls://dns.example@192.0.2.1:853#pin=${PIN}` }],
  ])('%s', (text, expected) => {
    expect(upstreamOrError(text)).toMatchObject(expected);
  });

  it.each([
    ['dns.quad9.net', /not an IP address/],
    ['tls://192.0.2.1', /needs the server's certificate name/],
    ['https://dns.quad9.net/dns-query', /not an IP address|needs the server's certificate name/],
    ['quic://dns.example@192.0.2.1', /unknown scheme 'quic'/],
    ['udp://dns.example@192.0.2.1', /only for tls:\/\/ and https:\/\//],
    ['tcp://192.0.2.1/path', /only https:\/\/ upstreams take a path/],
    ['tls://bad_name!@192.0.2.1', /not a valid host name/],
    ['tls://dns.example@192.0.2.1#pin=short', /#pin=/],
    ['udp://192.0.2.1#pin=' + PIN, /only for tls/],
    ['tcp://192.0.2.1:99999', /port/],
  ])('rejects %s', (text, message) => {
    const r = upstreamOrError(text);
    expect('error' in r).toBe(true);
    if ('error' in r) expect(r.error).toMatch(message);
  });
});
