/** Command-line address overrides: parseHostPort forms and errors, and applyOverrides on a loaded config. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { applyOverrides, parseHostPort } from '../../src/config/overrides.js';
import { formatHostPort } from '../../src/config/host-port.js';
import { HradbaError } from '../../src/errors.js';

describe('parseHostPort', () => {
  it.each([
    ['127.0.0.1:53', 5353, { host: '127.0.0.1', port: 53 }],
    ['9.9.9.9', 53, { host: '9.9.9.9', port: 53 }],
    ['192.0.2.1:65535', 53, { host: '192.0.2.1', port: 65535 }],
    ['192.0.2.1:1', 53, { host: '192.0.2.1', port: 1 }],
    ['[::1]:5353', 53, { host: '::1', port: 5353 }],
    ['[::1]', 5353, { host: '::1', port: 5353 }],
    ['::1', 53, { host: '::1', port: 53 }],
    ['::', 53, { host: '::', port: 53 }],
    ['0.0.0.0:53', 5353, { host: '0.0.0.0', port: 53 }],
    ['2001:db8::53', 53, { host: '2001:db8::53', port: 53 }],
    ['[2001:db8::53]:853', 53, { host: '2001:db8::53', port: 853 }],
    ['[fe80::1%eth0]:53', 53, { host: 'fe80::1%eth0', port: 53 }],
  ])('%s (default port %i)', (text, defaultPort, want) => {
    expect(parseHostPort(text, defaultPort)).toEqual(want);
  });

  it.each([
    ['', 'empty address'],
    ['localhost', "'localhost' is not an IP address (give an IP literal such as 192.0.2.1 or [2001:db8::1]; names are not resolved)"],
    ['dns.example.org:53', "'dns.example.org' is not an IP address (give an IP literal such as 192.0.2.1 or [2001:db8::1]; names are not resolved)"],
    ['192.0.2.1:0', "port '0' must be a number from 1 to 65535"],
    ['192.0.2.1:65536', "port '65536' must be a number from 1 to 65535"],
    ['192.0.2.1:', "port '' must be a number from 1 to 65535"],
    ['192.0.2.1:5x', "port '5x' must be a number from 1 to 65535"],
    ['192.0.2.1:-53', "port '-53' must be a number from 1 to 65535"],
    ['192.0.2.1: 53', "port ' 53' must be a number from 1 to 65535"],
    [':53', "'' is not an IP address (give an IP literal such as 192.0.2.1 or [2001:db8::1]; names are not resolved)"],
    ['[::1]:', "port '' must be a number from 1 to 65535"],
    ['[::1]:0', "port '0' must be a number from 1 to 65535"],
    ['[::1', "'[::1' is malformed: write an IPv6 address with a port as '[::1]:5353'"],
    ['[::1]5353', "'[::1]5353' is malformed: write an IPv6 address with a port as '[::1]:5353'"],
    ['[::1]:53:54', "'[::1]:53:54' is malformed: write an IPv6 address with a port as '[::1]:5353'"],
    ['[]:53', "'' in brackets is not an IPv6 address"],
    ['[127.0.0.1]:53', "'127.0.0.1' in brackets is not an IPv6 address"],
    ['fe80::1::2:53', "'fe80::1::2:53' is not an IP address (an IPv6 address with a port needs brackets, e.g. '[::1]:5353')"],
    ['256.0.0.1', "'256.0.0.1' is not an IP address (give an IP literal such as 192.0.2.1 or [2001:db8::1]; names are not resolved)"],
    [' 192.0.2.1', "' 192.0.2.1' is not an IP address (give an IP literal such as 192.0.2.1 or [2001:db8::1]; names are not resolved)"],
  ])('rejects %j', (text, message) => {
    expect(() => parseHostPort(text, 53)).toThrow(message);
    try {
      parseHostPort(text, 53);
    } catch (err) {
      expect(err).toBeInstanceOf(HradbaError);
      expect((err as HradbaError).code).toBe('HRADBA_ERR_USAGE');
      expect((err as HradbaError).message).toBe(message);
    }
  });

  it.each([
    [{ host: '192.0.2.1', port: 53 }, '192.0.2.1:53'],
    [{ host: '::1', port: 5353 }, '[::1]:5353'],
  ])('formats %j as %s, which parses back', (hp, text) => {
    expect(formatHostPort(hp)).toBe(text);
    expect(parseHostPort(text, 1)).toEqual(hp);
  });
});

describe('applyOverrides', () => {
  const base = parseConfig('listen: ["127.0.0.1:5353"]\nupstreams: ["192.0.2.53"]\n', '/cfg/hradba.yaml');

  it('replaces listen addresses, port 53 when omitted', () => {
    const cfg = applyOverrides(base, { listen: ['0.0.0.0', '[::]:5300'] });
    expect(cfg.listen).toEqual([{ host: '0.0.0.0', port: 53 }, { host: '::', port: 5300 }]);
    expect(cfg.upstreams).toBe(base.upstreams);
    expect({ ...cfg, listen: base.listen }).toEqual(base);
  });

  it('replaces upstreams', () => {
    const cfg = applyOverrides(base, { upstream: ['198.51.100.1:5353', '2001:db8::1'] });
    expect(cfg.upstreams.map((u) => ({ host: u.host, port: u.port, transport: u.transport }))).toEqual([
      { host: '198.51.100.1', port: 5353, transport: 'udp' },
      { host: '2001:db8::1', port: 53, transport: 'udp' },
    ]);
    expect(cfg.listen).toEqual(base.listen);
  });

  it('replaces both', () => {
    const cfg = applyOverrides(base, { listen: ['127.0.0.2:53'], upstream: ['198.51.100.1'] });
    expect(cfg.listen).toEqual([{ host: '127.0.0.2', port: 53 }]);
    expect(cfg.upstreams.map((u) => u.url)).toEqual(['udp://198.51.100.1:53']);
  });

  it('--admin turns the admin endpoint on at the address', () => {
    expect(base.admin.enabled).toBe(false);
    const cfg = applyOverrides(base, { admin: '0.0.0.0:9153' });
    expect(cfg.admin).toEqual({ enabled: true, listen: { host: '0.0.0.0', port: 9153 } });
    expect(cfg.listen).toBe(base.listen);
  });

  it.each([{}, { listen: [] }, { upstream: [] }, { listen: undefined, upstream: undefined }])('leaves the config as it is for %j', (o) => {
    expect(applyOverrides(base, o)).toBe(base);
  });

  it('returns a new deep-frozen config and leaves the original alone', () => {
    const cfg = applyOverrides(base, { listen: ['127.0.0.2:53'] });
    expect(cfg).not.toBe(base);
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.listen)).toBe(true);
    expect(Object.isFrozen(cfg.listen[0])).toBe(true);
    expect(base.listen).toEqual([{ host: '127.0.0.1', port: 5353 }]);
  });

  it.each([
    [{ listen: ['127.0.0.1:53', 'localhost:53'] }, "--listen 'localhost:53': 'localhost' is not an IP address (give an IP literal such as 192.0.2.1 or [2001:db8::1]; names are not resolved)"],
    [{ upstream: ['192.0.2.1:99999'] }, "--upstream '192.0.2.1:99999': port '99999' must be a number from 1 to 65535"],
    [{ listen: ['[::1]:53', '::1'] }, "--listen '::1': [::1]:53 is given twice"],
    [{ admin: '127.0.0.1' }, "--admin '127.0.0.1': needs a port, e.g. 127.0.0.1:9153"],
    [{ admin: 'localhost:9153' }, "--admin 'localhost:9153': 'localhost' is not an IP address"],
  ])('throws HRADBA_ERR_USAGE for %j', (o, message) => {
    expect(() => applyOverrides(base, o)).toThrow(message);
    try {
      applyOverrides(base, o);
    } catch (err) {
      expect((err as HradbaError).code).toBe('HRADBA_ERR_USAGE');
    }
  });
});
