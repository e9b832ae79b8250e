/** Config schema: every validation rule with its message and line, defaults, values, relative paths and freezing. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { CONFIG_KEYS, DEFAULTS } from '../../src/config/schema.js';
import type { Config } from '../../src/config/types.js';
import { formatLocated, HradbaError } from '../../src/errors.js';

const FILE = '/cfg/hradba.yaml';
const TOP_KEYS = 'listen, upstreams, forward, access, sinkhole, lists, maxBadLines, workers, edns, tcp, log, shutdown, admin, shrinkGuard, clients, groups, antiBypass, inspection, cache, pool, forwardZones, ecs';
const NOT_A_DURATION = "is not a duration: write a number and a unit (ms, s, m, h), e.g. '5s' or '250ms'";
const BASIS = [
  '    basis:',
  '      - authority: Agency security office',
  "        date: '2025-01-01'",
  '        title: Internal decision',
  '        url: https://example.org/decision',
];

/** The problems parseConfig reports for text, each as `file:line: message`; [] when it loads. */
function problems(text: string): string[] {
  try {
    parseConfig(text, FILE);
    return [];
  } catch (err) {
    if (!(err instanceof HradbaError)) throw err;
    expect(err.code).toBe('HRADBA_ERR_CONFIG');
    return err.problems.map(formatLocated);
  }
}

function at(line: number, message: string): string {
  return `${FILE}:${line}: ${message}`;
}

function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

describe('config validation: each rule, its message and its line', () => {
  it.each<[string, string, string[]]>([
    // structure and keys
    ['unknown top-level key', yaml('maxBadLines: 5', 'foo: 1'), [at(2, `foo: unknown key 'foo' (known: ${TOP_KEYS})`)]],
    ['unknown key with a suggestion', yaml('upstream: []'), [at(1, `upstream: unknown key 'upstream' (known: ${TOP_KEYS}); did you mean 'upstreams'?`)]],
    ['nested unknown key', yaml('sinkhole:', '  mode: nxdomain', '  ttls: 5s'), [at(3, "sinkhole.ttls: unknown key 'ttls' (known: mode, ttl, ipv4, ipv6, ede); did you mean 'ttl'?")]],
    ['key in the wrong case', yaml('edns:', '  udpsize: 1232'), [at(2, "edns.udpsize: unknown key 'udpsize' (known: udpSize); did you mean 'udpSize'?")]],
    ['snake_case key', yaml('tcp:', '  idle_timeout: 5s'), [at(2, "tcp.idle_timeout: unknown key 'idle_timeout' (known: idleTimeout, maxConnections, maxPipelined, frameTimeout, maxConnectionsPerClient); did you mean 'idleTimeout'?")]],
    ['top level is a list', yaml('- listen', '- upstreams'), [at(1, 'top level: must be a mapping of keys such as listen, upstreams, lists (got a list)')]],
    ['top level is a scalar', yaml('hello'), [at(1, "top level: must be a mapping of keys such as listen, upstreams, lists (got 'hello')")]],
    ['section is a scalar', yaml('forward: 5'), [at(1, 'forward: must be a mapping with keys attemptTimeout, deadline, socketPool, testNames (got 5)')]],
    ['section is a list', yaml('log:', '  - info'), [at(2, 'log: must be a mapping with keys level, file, queries, maxBacklog (got a list)')]],
    ['key that is not a name', yaml('1: x'), [at(1, 'top level: keys must be plain names (got 1)')]],

    // listen and upstreams
    ['empty listen', yaml('listen: []'), [at(1, 'listen: must list at least one address')]],
    ['listen as a string', yaml('listen: "127.0.0.1:53"'), [at(1, "listen: must be a list of addresses such as '192.0.2.1:53' or '[2001:db8::1]:53' (got '127.0.0.1:53')")]],
    ['listen entry a number', yaml('listen:', '  - 53'), [at(2, "listen[0]: must be an address string such as '192.0.2.1:53' (got 53)")]],
    ['port 0', yaml('listen:', '  - "127.0.0.1:0"'), [at(2, "listen[0]: port '0' must be a number from 1 to 65535")]],
    ['port 65536', yaml('listen:', '  - "[::1]:65536"'), [at(2, "listen[0]: port '65536' must be a number from 1 to 65535")]],
    ['port not a number', yaml('upstreams:', '  - "192.0.2.1:dns"'), [at(2, "upstreams[0]: port 'dns' must be a number from 1 to 65535")]],
    ['host name', yaml('upstreams:', '  - "9.9.9.9"', '  - dns.example.org'), [at(3, "upstreams[1]: 'dns.example.org' is not an IP address (give an IP literal such as 192.0.2.1 or [2001:db8::1]; names are not resolved)")]],
    ['bad IPv4', yaml('upstreams:', '  - "192.0.2.256:53"'), [at(2, "upstreams[0]: '192.0.2.256' is not an IP address (give an IP literal such as 192.0.2.1 or [2001:db8::1]; names are not resolved)")]],
    ['IPv6 with a port but no brackets', yaml('listen:', '  - "fe80::1::2:53"'), [at(2, "listen[0]: 'fe80::1::2:53' is not an IP address (an IPv6 address with a port needs brackets, e.g. '[::1]:5353')")]],
    ['IPv4 in brackets', yaml('listen:', '  - "[192.0.2.1]:53"'), [at(2, "listen[0]: '192.0.2.1' in brackets is not an IPv6 address")]],
    ['malformed brackets', yaml('listen:', '  - "[::1]5353"'), [at(2, "listen[0]: '[::1]5353' is malformed: write an IPv6 address with a port as '[::1]:5353'")]],
    ['duplicate listen address', yaml('listen:', '  - "127.0.0.1:53"', '  - "127.0.0.1"'), [at(3, 'listen[1]: same address as listen[0] (127.0.0.1:53)')]],

    // forward
    ['duration without a unit', yaml('forward:', '  attemptTimeout: 1500'), [at(2, "forward.attemptTimeout: needs a unit: write '1500s' for seconds or '1500ms' for milliseconds (got 1500)")]],
    ['duration below the minimum', yaml('forward:', '  attemptTimeout: 5ms'), [at(2, "forward.attemptTimeout: must be from 10ms to 1m (got '5ms')")]],
    ['duration not parsable', yaml('forward:', '  deadline: fast'), [at(2, `forward.deadline: 'fast' ${NOT_A_DURATION}`)]],
    ['duration a quoted bare number', yaml('forward:', '  deadline: "4"'), [at(2, "forward.deadline: '4' has no unit: write '4s' for seconds or '4ms' for milliseconds")]],
    ['duration a boolean', yaml('forward:', '  deadline: true'), [at(2, "forward.deadline: must be a duration such as '5s' or '250ms' (got true)")]],
    ['deadline shorter than the default attempt', yaml('forward:', '  deadline: 1s'), [at(2, 'forward.deadline: must not be shorter than forward.attemptTimeout (1500ms)')]],
    ['attempt longer than the default deadline', yaml('forward:', '  attemptTimeout: 5s'), [at(2, 'forward.attemptTimeout: must not be longer than forward.deadline (4s)')]],
    ['deadline shorter than the attempt', yaml('forward:', '  attemptTimeout: 2s', '  deadline: 1s'), [at(3, 'forward.deadline: must not be shorter than forward.attemptTimeout (2s)')]],
    ['socketPool zero', yaml('forward:', '  socketPool: 0'), [at(2, 'forward.socketPool: must be from 1 to 16384 (got 0)')]],
    ['socketPool fractional', yaml('forward:', '  socketPool: 1.5'), [at(2, 'forward.socketPool: must be a whole number from 1 to 16384 (got 1.5)')]],
    ['socketPool a string', yaml('forward:', "  socketPool: '16'"), [at(2, "forward.socketPool: must be a whole number from 1 to 16384 (got '16')")]],

    // access
    ['empty allow', yaml('access:', '  allow: []'), [at(2, 'access.allow: must list at least one network or address (an empty list would refuse every client)')]],
    ['IPv4 prefix too long', yaml('access:', '  allow:', '    - 10.0.0.0/8', '    - 10.0.0.0/33'), [at(4, "access.allow[1]: '10.0.0.0/33': the prefix length must be 0 to 32 for an IPv4 network")]],
    ['IPv6 prefix too long', yaml('access:', '  allow: [fc00::/129]'), [at(2, "access.allow[0]: 'fc00::/129': the prefix length must be 0 to 128 for an IPv6 network")]],
    ['allow a name', yaml('access:', '  allow:', '    - example.org'), [at(3, "access.allow[0]: 'example.org' is not an IP address or network (write e.g. 10.0.0.0/8, fc00::/7 or 192.0.2.1)")]],
    ['allow a number', yaml('access:', '  allow:', '    - 10'), [at(3, "access.allow[0]: must be a network such as '10.0.0.0/8' or an address (got 10)")]],
    ['action unknown', yaml('access:', '  action: reject'), [at(2, "access.action: must be one of refuse, drop (got 'reject')")]],

    // sinkhole
    ['mode unknown', yaml('sinkhole:', '  mode: block'), [at(2, "sinkhole.mode: must be one of nxdomain, nodata, refused, null, ip (got 'block')")]],
    ['mode ~ is a YAML null, not the mode', yaml('sinkhole:', '  mode: ~'), [at(2, 'sinkhole.mode: must be one of nxdomain, nodata, refused, null, ip (got null)')]],
    ['mode empty', yaml('sinkhole:', '  mode:'), [at(2, 'sinkhole.mode: must be one of nxdomain, nodata, refused, null, ip (got an empty value)')]],
    ['mode ip without addresses', yaml('sinkhole:', '  mode: ip'), [at(2, "sinkhole.mode: 'ip' needs sinkhole.ipv4 or sinkhole.ipv6 (the address of the block page)")]],
    ['mode ip with null addresses', yaml('sinkhole:', '  mode: ip', '  ipv4: null', '  ipv6: null'), [at(2, "sinkhole.mode: 'ip' needs sinkhole.ipv4 or sinkhole.ipv6 (the address of the block page)")]],
    ['mode ip with a bad address: reported once', yaml('sinkhole:', '  mode: ip', '  ipv4: 192.0.2.300'), [at(3, "sinkhole.ipv4: must be an IPv4 address or null (got '192.0.2.300')")]],
    ['ipv4 given an IPv6 address', yaml('sinkhole:', '  ipv4: "::1"'), [at(2, "sinkhole.ipv4: must be an IPv4 address or null (got '::1')")]],
    ['ipv6 given an IPv4 address', yaml('sinkhole:', '  ipv6: 192.0.2.1'), [at(2, "sinkhole.ipv6: must be an IPv6 address or null (got '192.0.2.1')")]],
    ['ipv6 with a zone', yaml('sinkhole:', '  ipv6: fe80::1%eth0'), [at(2, "sinkhole.ipv6: must be an IPv6 address or null (got 'fe80::1%eth0')")]],
    ['ttl without a unit', yaml('sinkhole:', '  ttl: 60'), [at(2, "sinkhole.ttl: needs a unit: write '60s' for seconds or '60ms' for milliseconds (got 60)")]],
    ['ttl over a day', yaml('sinkhole:', '  ttl: 25h'), [at(2, "sinkhole.ttl: must be from 0s to 24h (got '25h')")]],
    ['ttl not whole seconds', yaml('sinkhole:', '  ttl: 1500ms'), [at(2, "sinkhole.ttl: must be a whole number of seconds, as DNS TTLs are (got '1500ms')")]],
    ['ede not a boolean', yaml('sinkhole:', '  ede: yes'), [at(2, "sinkhole.ede: must be true or false (got 'yes')")]],

    // lists
    ['lists not a list', yaml('lists: a.list'), [at(1, "lists: must be a list of list entries (each a mapping with at least 'file') (got 'a.list')")]],
    ['list entry a string', yaml('lists:', '  - a.list'), [at(2, "lists[0]: must be a mapping with at least 'file' (got 'a.list')")]],
    ['list file missing', yaml('lists:', '  - file: a.list', '  - file: b.list', '  - enabled: false'), [at(4, 'lists[2].file: required')]],
    ['list file empty', yaml('lists:', "  - file: ''"), [at(2, "lists[0].file: must be a non-empty string (got '')")]],
    ['list file a number', yaml('lists:', '  - file: 5'), [at(2, 'lists[0].file: must be a non-empty string (got 5)')]],
    ['list unknown key', yaml('lists:', '  - file: a.list', '    enable: false'), [at(3, "lists[0].enable: unknown key 'enable' (known: file, enabled, format, match, id, vendor, vendorName, basis, mandatory, mode, review, hostsMappings, mayBeEmpty); did you mean 'enabled'?")]],
    ['enabled not a boolean', yaml('lists:', '  - file: a.list', '    enabled: "no"'), [at(3, "lists[0].enabled: must be true or false (got 'no')")]],
    ['format unknown', yaml('lists:', '  - file: a.list', '    format: csv'), [at(3, "lists[0].format: must be one of hradba, plain, wildcard, hosts, adblock, rpz, prefixes (got 'csv')")]],
    ['match unknown', yaml('lists:', '  - file: a.list', '    match: prefix'), [at(3, "lists[0].match: must be one of suffix, exact (got 'prefix')")]],
    ['id not a slug', yaml('lists:', '  - file: a.list', '    id: Deep Seek'), [at(3, "lists[0].id: must be lower-case letters, digits, '-', '_' or '.', starting with a letter or digit, at most 63 long (got 'Deep Seek')")]],
    ['vendor not a slug', yaml('lists:', '  - file: a.list', '    vendor: -x'), [at(3, "lists[0].vendor: must be lower-case letters, digits, '-', '_' or '.', starting with a letter or digit, at most 63 long (got '-x')")]],
    ['vendorName empty', yaml('lists:', '  - file: a.list', "    vendorName: ' '"), [at(3, "lists[0].vendorName: must be a non-empty string (got ' ')")]],
    ['plain list without provenance', yaml('lists:', '  - file: a.list', '    format: plain'), [
      at(2, 'lists[0].id: required for a plain list (the file itself carries no metadata)'),
      at(2, 'lists[0].vendor: required for a plain list (the file itself carries no metadata)'),
      at(2, 'lists[0].basis: required for a plain list (the file itself carries no metadata)'),
    ]],
    ['hosts list without basis', yaml('lists:', '  - file: a.list', '    format: hosts', '    id: a', '    vendor: example'), [at(2, 'lists[0].basis: required for a hosts list (the file itself carries no metadata)')]],
    ['hradba list overriding its header', yaml('lists:', '  - file: a.list', '    format: hradba', '    id: a', '    match: exact'), [
      at(4, 'lists[0].id: not allowed for a hradba list (its header line says this)'),
      at(5, 'lists[0].match: not allowed for a hradba list (its header line says this)'),
    ]],
    ['basis empty', yaml('lists:', '  - file: a.list', '    basis: []'), [at(3, 'lists[0].basis: must list at least one legal basis')]],
    ['basis entry a string', yaml('lists:', '  - file: a.list', '    basis:', '      - NÚKIB'), [at(4, "lists[0].basis[0]: must be a mapping with authority, date, title and url (got 'NÚKIB')")]],
    ['basis url missing', yaml('lists:', '  - file: a.list', '    basis:', '      - authority: A', "        date: '2025-01-01'", '        title: T'), [at(4, 'lists[0].basis[0].url: required')]],
    ['basis date in local format', yaml('lists:', '  - file: a.list', ...BASIS).replace("'2025-01-01'", '09.07.2025'),
      [at(5, "lists[0].basis[0].date: must be an ISO date such as '2025-07-09' (or '2025-07', '2025' when only that is known) (got '09.07.2025')")]],
    ['basis date impossible month', yaml('lists:', '  - file: a.list', ...BASIS).replace("'2025-01-01'", "'2025-13-01'"),
      [at(5, "lists[0].basis[0].date: must be an ISO date such as '2025-07-09' (or '2025-07', '2025' when only that is known) (got '2025-13-01')")]],
    ['basis date as a number', yaml('lists:', '  - file: a.list', ...BASIS).replace("'2025-01-01'", '2025'),
      [at(5, "lists[0].basis[0].date: must be an ISO date such as '2025-07-09' (or '2025-07', '2025' when only that is known) (got 2025)")]],
    ['basis url not http', yaml('lists:', '  - file: a.list', ...BASIS).replace('https://example.org/decision', 'ftp://example.org/x'),
      [at(7, "lists[0].basis[0].url: must be an http or https URL such as 'https://example.org/decision' (got 'ftp://example.org/x')")]],
    ['basis unknown key', yaml('lists:', '  - file: a.list', ...BASIS, '        note: n'),
      [at(8, "lists[0].basis[0].note: unknown key 'note' (known: authority, date, title, url)")]],
    ['same file twice', yaml('lists:', '  - file: a.list', '  - file: ./sub/../a.list'), [at(3, 'lists[1].file: same file as lists[0]')]],
    ['same id twice', yaml('lists:', '  - file: a.list', '    id: x', '  - file: b.list', '    id: x'), [at(4, "lists[1].id: same id as lists[0] ('x')")]],

    // the rest
    ['maxBadLines negative', yaml('maxBadLines: -1'), [at(1, 'maxBadLines: must be from 0 to 1000000 (got -1)')]],
    ['udpSize below 512', yaml('edns:', '  udpSize: 511'), [at(2, 'edns.udpSize: must be from 512 to 4096 (got 511)')]],
    ['udpSize above 4096', yaml('edns:', '  udpSize: 4097'), [at(2, 'edns.udpSize: must be from 512 to 4096 (got 4097)')]],
    ['idleTimeout too short', yaml('tcp:', '  idleTimeout: 50ms'), [at(2, "tcp.idleTimeout: must be from 100ms to 1h (got '50ms')")]],
    ['maxConnections zero', yaml('tcp:', '  maxConnections: 0'), [at(2, 'tcp.maxConnections: must be from 1 to 100000 (got 0)')]],
    ['maxPipelined too many', yaml('tcp:', '  maxPipelined: 70000'), [at(2, 'tcp.maxPipelined: must be from 1 to 65535 (got 70000)')]],
    ['frameTimeout too long', yaml('tcp:', '  frameTimeout: 2m'), [at(2, "tcp.frameTimeout: must be from 100ms to 1m (got '2m')")]],
    ['maxConnectionsPerClient zero', yaml('tcp:', '  maxConnectionsPerClient: 0'), [at(2, 'tcp.maxConnectionsPerClient: must be from 1 to 100000 (got 0)')]],
    ['log level unknown', yaml('log:', '  level: verbose'), [at(2, "log.level: must be one of fatal, error, warn, info, debug, trace (got 'verbose')")]],
    ['log file a number', yaml('log:', '  file: 5'), [at(2, 'log.file: must be a non-empty string (got 5)')]],
    ['log queries not a boolean', yaml('log:', '  queries: 1'), [at(2, 'log.queries: must be true or false (got 1)')]],
    ['grace too long', yaml('shutdown:', '  grace: 11m'), [at(2, "shutdown.grace: must be from 0s to 10m (got '11m')")]],
    ['admin listen without a port', yaml('admin:', '  listen: 127.0.0.1'), [at(2, "admin.listen: needs a port, e.g. '127.0.0.1:9153'")]],
    ['admin listen a name', yaml('admin:', '  listen: localhost:9153'), [at(2, "admin.listen: 'localhost' is not an IP address (give an IP literal such as 192.0.2.1 or [2001:db8::1]; names are not resolved)")]],
    ['admin enabled not a boolean', yaml('admin:', '  enabled: yes please'), [at(2, "admin.enabled: must be true or false (got 'yes please')")]],
    ['flow mapping key without a value', yaml('sinkhole: { ttl }'), [at(1, "sinkhole.ttl: must be a duration such as '5s' or '250ms' (got null)")]],

    // YAML itself
    ['unclosed flow list', yaml('listen: ["127.0.0.1:53"', 'maxBadLines: 2'), [at(2, 'YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]')]],
    ['duplicate key', yaml('tcp: {}', 'log: {}', 'tcp: {}'), [at(3, 'YAML syntax: Map keys must be unique')]],
    ['two documents', yaml('maxBadLines: 1', '---', 'maxBadLines: 2'), [at(2, 'YAML syntax: the file holds more than one YAML document (a second ---); hradba reads one')]],
    ['unquoted bracketed address', yaml('listen:', '  - [::1]:5353'), [at(2, 'YAML syntax: Unexpected scalar at node end (quote bracketed addresses: "[::1]:5353")')]],
    ['unknown tag', yaml('maxBadLines: !int 3'), [at(1, 'YAML syntax: Unresolved tag: !int')]],
  ])('%s', (_name, text, want) => {
    expect(problems(text)).toEqual(want);
  });
});

describe('config validation: several problems at once', () => {
  it('reports every problem, in file order', () => {
    const text = yaml(
      'sinkhole:',
      '  ttl: 60', // 2
      '  mode: block', // 3
      'listen: []', // 4
      'colour: blue', // 5
      'lists:',
      '  - enabled: true', // 7
      '  - file: b.list',
      '    format: csv', // 9
      'edns:',
      '  udpSize: 100', // 11
    );
    expect(problems(text)).toEqual([
      at(2, "sinkhole.ttl: needs a unit: write '60s' for seconds or '60ms' for milliseconds (got 60)"),
      at(3, "sinkhole.mode: must be one of nxdomain, nodata, refused, null, ip (got 'block')"),
      at(4, 'listen: must list at least one address'),
      at(5, `colour: unknown key 'colour' (known: ${TOP_KEYS})`),
      at(7, 'lists[0].file: required'),
      at(9, "lists[1].format: must be one of hradba, plain, wildcard, hosts, adblock, rpz, prefixes (got 'csv')"),
      at(11, 'edns.udpSize: must be from 512 to 4096 (got 100)'),
    ]);
  });

  it('sums them up in the error message', () => {
    expect(() => parseConfig(yaml('a: 1', 'b: 2'), FILE)).toThrow(`${FILE}: 2 problems`);
    expect(() => parseConfig(yaml('a: 1'), FILE)).toThrow(`${FILE}: 1 problem`);
  });

  it('reports syntax problems alone, without schema noise from a half-parsed document', () => {
    expect(problems(yaml('foo: 1', 'tcp: {}', 'tcp: {}'))).toEqual([at(3, 'YAML syntax: Map keys must be unique')]);
  });
});

describe('config defaults', () => {
  const expected: Config = { ...DEFAULTS, file: FILE };

  it.each([
    ['an empty file', ''],
    ['a file of comments', yaml('# nothing set yet', '   # still nothing')],
    ['empty sections', yaml('forward:', 'access:', 'sinkhole: {}', 'edns:', 'tcp:', 'log:', 'shutdown:', 'lists:')],
  ])('%s gives every default and no lists', (_name, text) => {
    expect(parseConfig(text, FILE)).toEqual(expected);
  });

  it('has the values of the shared brief', () => {
    expect(DEFAULTS).toEqual({
      listen: [{ host: '127.0.0.1', port: 5353 }, { host: '::1', port: 5353 }],
      upstreams: [
        { host: '9.9.9.9', port: 53, transport: 'udp', tlsName: null, path: null, spkiPin: null, url: 'udp://9.9.9.9:53' },
        { host: '149.112.112.112', port: 53, transport: 'udp', tlsName: null, path: null, spkiPin: null, url: 'udp://149.112.112.112:53' },
      ],
      forward: { attemptTimeoutMs: 1500, deadlineMs: 4000, socketPool: 1024, testNames: false },
      access: {
        allow: ['127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7', 'fe80::/10'],
        action: 'refuse',
      },
      sinkhole: { mode: 'nxdomain', ttlSec: 60, ipv4: null, ipv6: null, ede: true },
      lists: [],
      maxBadLines: 100,
      workers: 'auto',
      edns: { udpSize: 1232 },
      tcp: { idleTimeoutMs: 10000, maxConnections: 1000, maxPipelined: 100, frameTimeoutMs: 3000, maxConnectionsPerClient: 100 },
      log: { level: 'info', file: null, queries: false, maxBacklog: 100_000 },
      shutdown: { graceMs: 5000 },
      admin: { enabled: false, listen: { host: '127.0.0.1', port: 9153 } },
      shrinkGuard: 50,
      clients: [],
      groups: [],
      antiBypass: { firefoxCanary: true, icloudPrivateRelay: true, ddr: true, dohProviders: false },
      inspection: { cname: true },
      cache: {
        enabled: true,
        maxEntries: 100000,
        maxBytes: 67108864,
        minTtlSec: 0,
        maxTtlSec: 86400,
        maxNegativeTtlSec: 3600,
        serveStale: false,
        staleMaxAgeSec: 86400,
        prefetch: true,
      },
      pool: { strategy: 'sequential', maxFails: 3, probeIntervalMs: 5000, maxInFlight: 10000 },
      forwardZones: [],
      ecs: { strip: true },
    });
  });

  it('applies defaults per key: one key set leaves its neighbours at their defaults', () => {
    const cfg = parseConfig(yaml('forward:', '  deadline: 10s', 'sinkhole:', '  mode: refused'), FILE);
    expect(cfg.forward).toEqual({ attemptTimeoutMs: 1500, deadlineMs: 10000, socketPool: 1024, testNames: false });
    expect(cfg.sinkhole).toEqual({ ...DEFAULTS.sinkhole, mode: 'refused' });
    expect(cfg.tcp).toEqual(DEFAULTS.tcp);
  });
});

describe('config values', () => {
  it('reads every key', () => {
    const cfg = parseConfig(
      yaml(
        'listen: ["192.0.2.10", "[2001:db8::10]:5300", "::1"]',
        'upstreams: ["192.0.2.53:5353", "[2001:db8::53]"]',
        'forward: { attemptTimeout: 250ms, deadline: 1.5s, socketPool: 4, testNames: true }',
        'access: { allow: [192.0.2.0/24, "2001:db8::/32", 198.51.100.7], action: drop }',
        'sinkhole: { mode: ip, ttl: 5m, ipv4: 192.0.2.80, ipv6: "2001:db8::80", ede: false }',
        'maxBadLines: 0',
        'edns: { udpSize: 4096 }',
        'tcp: { idleTimeout: 2m, maxConnections: 10, maxPipelined: 1, frameTimeout: 500ms, maxConnectionsPerClient: 4 }',
        'log: { level: debug, file: /var/log/hradba.log, queries: true, maxBacklog: 5000 }',
        'shutdown: { grace: 0s }',
        'admin: { enabled: true, listen: "[::1]:9100" }',
      ),
      FILE,
    );
    expect(cfg).toEqual({
      file: FILE,
      listen: [{ host: '192.0.2.10', port: 53 }, { host: '2001:db8::10', port: 5300 }, { host: '::1', port: 53 }],
      upstreams: [
        { host: '192.0.2.53', port: 5353, transport: 'udp', tlsName: null, path: null, spkiPin: null, url: 'udp://192.0.2.53:5353' },
        { host: '2001:db8::53', port: 53, transport: 'udp', tlsName: null, path: null, spkiPin: null, url: 'udp://[2001:db8::53]:53' },
      ],
      forward: { attemptTimeoutMs: 250, deadlineMs: 1500, socketPool: 4, testNames: true },
      access: { allow: ['192.0.2.0/24', '2001:db8::/32', '198.51.100.7'], action: 'drop' },
      sinkhole: { mode: 'ip', ttlSec: 300, ipv4: '192.0.2.80', ipv6: '2001:db8::80', ede: false },
      lists: [],
      maxBadLines: 0,
      workers: 'auto',
      edns: { udpSize: 4096 },
      tcp: { idleTimeoutMs: 120000, maxConnections: 10, maxPipelined: 1, frameTimeoutMs: 500, maxConnectionsPerClient: 4 },
      log: { level: 'debug', file: '/var/log/hradba.log', queries: true, maxBacklog: 5000 },
      shutdown: { graceMs: 0 },
      admin: { enabled: true, listen: { host: '::1', port: 9100 } },
      shrinkGuard: 50,
      clients: [],
      groups: [],
      antiBypass: { firefoxCanary: true, icloudPrivateRelay: true, ddr: true, dohProviders: false },
      inspection: { cname: true },
      cache: DEFAULTS.cache,
      pool: DEFAULTS.pool,
      forwardZones: [],
      ecs: DEFAULTS.ecs,
    } satisfies Config);
  });

  it.each([
    ['mode: null', 'null'],
    ['mode: "null"', 'null'],
    ["mode: 'nodata'", 'nodata'],
  ])('sinkhole %s reads as %j', (line, mode) => {
    expect(parseConfig(yaml('sinkhole:', `  ${line}`), FILE).sinkhole.mode).toBe(mode);
  });

  it.each([
    ['ttl: 0s', 0],
    ['ttl: 24h', 86400],
    ['ttl: 1.5m', 90],
  ])('sinkhole %s is %i seconds', (line, ttlSec) => {
    expect(parseConfig(yaml('sinkhole:', `  ${line}`), FILE).sinkhole.ttlSec).toBe(ttlSec);
  });

  it('accepts mode ip with only an IPv6 address', () => {
    expect(parseConfig(yaml('sinkhole:', '  mode: ip', '  ipv6: "2001:db8::80"'), FILE).sinkhole).toEqual({
      ...DEFAULTS.sinkhole,
      mode: 'ip',
      ipv6: '2001:db8::80',
    });
  });

  it('reads a full plain list entry, and anchors shared between entries', () => {
    const cfg = parseConfig(
      yaml(
        'lists:',
        '  - file: /srv/lists/agency.txt',
        '    format: plain',
        '    match: exact',
        '    id: agency',
        '    vendor: example',
        '    vendorName: Example Ltd.',
        '    enabled: false',
        '    basis: &decision',
        '      - authority: Agency security office',
        "        date: '2025-01'",
        '        title: Internal decision',
        '        url: https://example.org/decision',
        '  - file: /srv/lists/agency-hosts.txt',
        '    format: hosts',
        '    id: agency-hosts',
        '    vendor: example',
        '    basis: *decision',
        '  - file: /srv/lists/vendor.list',
      ),
      FILE,
    );
    const basis = [{ authority: 'Agency security office', date: '2025-01', title: 'Internal decision', url: 'https://example.org/decision' }];
    expect(cfg.lists).toEqual([
      { file: '/srv/lists/agency.txt', enabled: false, format: 'plain', match: 'exact', id: 'agency', vendor: 'example', vendorName: 'Example Ltd.', basis },
      { file: '/srv/lists/agency-hosts.txt', enabled: true, format: 'hosts', id: 'agency-hosts', vendor: 'example', basis },
      { file: '/srv/lists/vendor.list', enabled: true },
    ]);
    // Optional keys that were not written are absent, not undefined.
    expect(Object.keys(cfg.lists[2] ?? {})).toEqual(['file', 'enabled']);
  });
});

describe('relative paths', () => {
  it.each([
    ['/cfg/hradba.yaml', '../blocklists/deepseek.list', '/blocklists/deepseek.list'],
    ['/cfg/hradba.yaml', 'lists/x.list', '/cfg/lists/x.list'],
    ['/cfg/hradba.yaml', '/abs/x.list', '/abs/x.list'],
    ['/srv/hradba/conf/main.yaml', './x.list', '/srv/hradba/conf/x.list'],
  ])('in %s, %s is %s', (file, listFile, want) => {
    const cfg = parseConfig(yaml('lists:', `  - file: ${listFile}`, 'log:', `  file: ${listFile}.log`), file);
    expect(cfg.lists[0]?.file).toBe(want);
    expect(cfg.log.file).toBe(`${want}.log`);
  });

  it('resolve against the config file even when its own name is relative', () => {
    const cfg = parseConfig(yaml('lists:', '  - file: x.list'), 'conf/hradba.yaml');
    expect(cfg.file).toBe(`${process.cwd()}/conf/hradba.yaml`);
    expect(cfg.lists[0]?.file).toBe(`${process.cwd()}/conf/x.list`);
  });
});

describe('the result is deep-frozen', () => {
  const cfg = parseConfig(yaml('lists:', '  - file: a.list', '    format: plain', '    id: a', '    vendor: v', ...BASIS), FILE);

  it.each<[string, unknown]>([
    ['config', cfg],
    ['listen', cfg.listen],
    ['listen[0]', cfg.listen[0]],
    ['forward', cfg.forward],
    ['access.allow', cfg.access.allow],
    ['lists', cfg.lists],
    ['lists[0]', cfg.lists[0]],
    ['lists[0].basis[0]', cfg.lists[0]?.basis?.[0]],
    ['DEFAULTS', DEFAULTS],
    ['DEFAULTS.access.allow', DEFAULTS.access.allow],
  ])('%s', (_name, value) => {
    expect(value).toBeTypeOf('object');
    expect(Object.isFrozen(value)).toBe(true);
  });

  it('rejects writes', () => {
    expect(() => {
      (cfg.sinkhole as { mode: string }).mode = 'refused';
    }).toThrow(TypeError);
    expect(() => (cfg.listen as { host: string; port: number }[]).push({ host: '::', port: 1 })).toThrow(TypeError);
  });
});

describe('CONFIG_KEYS', () => {
  it('lists sections, their keys and list entry keys', () => {
    expect(CONFIG_KEYS).toContain('sinkhole.mode');
    expect(CONFIG_KEYS).toContain('lists[].basis[].url');
    expect(CONFIG_KEYS).toContain('maxBadLines');
    expect(new Set(CONFIG_KEYS).size).toBe(CONFIG_KEYS.length);
  });
});

describe('workers', () => {
  it("is 'auto' unless set, and reads 'auto' or a thread count", () => {
    expect(parseConfig(yaml('maxBadLines: 1'), FILE).workers).toBe('auto');
    expect(parseConfig(yaml('workers: auto'), FILE).workers).toBe('auto');
    expect(parseConfig(yaml('workers: 3'), FILE).workers).toBe(3);
  });

  it.each([['workers: 0', 'got 0'], ['workers: 257', 'got 257'], ['workers: many', "got 'many'"], ['workers: 1.5', 'got 1.5']])('%s is an error naming its line', (line, got) => {
    const found = problems(yaml('maxBadLines: 1', line));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`:2: workers: must be 'auto' \\(one per core\\) or a whole number from 1 to 256 \\(${got.replace('.', '\\.')}\\)`));
  });
});
