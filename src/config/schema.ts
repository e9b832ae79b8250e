/** The config schema, the single source of truth for keys, types, limits and defaults: walks a parsed YAML document, collects every problem with its line, and builds the frozen Config. */
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, Scalar, type Document, type LineCounter } from 'yaml';
import { parseCidr } from '../access/cidr.js';
import type { Located } from '../errors.js';
import { normalizeDomain } from '../policy/domain-name.js';
import type { Basis } from '../policy/types.js';
import { deepFreeze } from './deep-freeze.js';
import { durationOrError, formatDuration } from './duration.js';
import { formatHostPort, hostPortOrError } from './host-port.js';
import { upstreamOrError } from '../upstream/upstream-url.js';
import type { ClientConfig, Config, ExceptionConfig, ForwardZone, GroupConfig, HostPort, ListConfig, Upstream } from './types.js';

export const SINKHOLE_MODES = ['nxdomain', 'nodata', 'refused', 'null', 'ip'] as const;
export const LIST_FORMATS = ['hradba', 'plain', 'wildcard', 'hosts', 'adblock', 'rpz', 'prefixes'] as const;
export const LIST_MATCH = ['suffix', 'exact'] as const;
export const LIST_MODES = ['enforce', 'log-only'] as const;
export const HOSTS_MAPPINGS = ['skip', 'block'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export const ACCESS_ACTIONS = ['refuse', 'drop'] as const;
export const POOL_STRATEGIES = ['sequential', 'round-robin', 'fastest'] as const;

/** Port assumed when a listen or upstream address has none. */
export const DNS_PORT = 53;

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Every value a config may leave out; config/hradba.yaml spells the same values out for operators. */
export const DEFAULTS: Omit<Config, 'file'> = deepFreeze({
  listen: [
    { host: '127.0.0.1', port: 5353 },
    { host: '::1', port: 5353 },
  ],
  upstreams: [
    { host: '9.9.9.9', port: 53, transport: 'udp', tlsName: null, path: null, spkiPin: null, url: 'udp://9.9.9.9:53' },
    { host: '149.112.112.112', port: 53, transport: 'udp', tlsName: null, path: null, spkiPin: null, url: 'udp://149.112.112.112:53' },
  ],
  forward: { attemptTimeoutMs: 1_500, deadlineMs: 4 * SECOND, socketPool: 1_024, testNames: false },
  access: {
    // Loopback and the private, link-local and unique-local ranges: the agency's own networks, never the internet.
    allow: ['127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7', 'fe80::/10'],
    action: 'refuse',
  },
  sinkhole: { mode: 'nxdomain', ttlSec: 60, ipv4: null, ipv6: null, ede: true },
  lists: [],
  maxBadLines: 100,
  workers: 'auto',
  edns: { udpSize: 1232 },
  tcp: { idleTimeoutMs: 10 * SECOND, maxConnections: 1_000, maxPipelined: 100, frameTimeoutMs: 3 * SECOND, maxConnectionsPerClient: 100 },
  log: { level: 'info', file: null, queries: false, maxBacklog: 100_000 },
  shutdown: { graceMs: 5 * SECOND },
  // Off by default: metrics reveal traffic volumes, so an operator turns them on knowingly; loopback unless told.
  admin: { enabled: false, listen: { host: '127.0.0.1', port: 9153 } },
  shrinkGuard: 50,
  clients: [],
  groups: [],
  antiBypass: { firefoxCanary: true, icloudPrivateRelay: true, ddr: true, dohProviders: false },
  inspection: { cname: true },
  cache: {
    enabled: true,
    maxEntries: 100_000,
    maxBytes: 64 * 1024 * 1024,
    minTtlSec: 0,
    maxTtlSec: 86_400,
    maxNegativeTtlSec: 3_600,
    serveStale: false,
    staleMaxAgeSec: 86_400,
    prefetch: true,
  },
  pool: { strategy: 'sequential', maxFails: 3, probeIntervalMs: 5 * SECOND, maxInFlight: 10_000 },
  forwardZones: [],
  ecs: { strip: true },
});

/** Limits on numeric and duration values: [min, max], inclusive. */
export const LIMITS = {
  attemptTimeoutMs: [10, MINUTE],
  deadlineMs: [10, 5 * MINUTE],
  socketPool: [1, 16_384],
  ttlSec: [0, 86_400],
  maxBadLines: [0, 1_000_000],
  workers: [1, 256],
  udpSize: [512, 4_096],
  idleTimeoutMs: [100, HOUR],
  maxConnections: [1, 100_000],
  maxPipelined: [1, 65_535],
  frameTimeoutMs: [100, MINUTE],
  maxConnectionsPerClient: [1, 100_000],
  graceMs: [0, 10 * MINUTE],
  shrinkGuard: [0, 100],
  cacheEntries: [1, 100_000_000],
  cacheBytes: [65_536, 64 * 1024 * 1024 * 1024],
  cacheTtlSec: [0, 7 * 86_400],
  maxFails: [1, 1_000],
  probeIntervalMs: [100, HOUR],
  maxInFlight: [1, 1_000_000],
  logMaxBacklog: [100, 10_000_000],
} as const satisfies Record<string, readonly [number, number]>;

const KEYS = {
  top: ['listen', 'upstreams', 'forward', 'access', 'sinkhole', 'lists', 'maxBadLines', 'workers', 'edns', 'tcp', 'log', 'shutdown', 'admin', 'shrinkGuard', 'clients', 'groups', 'antiBypass', 'inspection', 'cache', 'pool', 'forwardZones', 'ecs'],
  forward: ['attemptTimeout', 'deadline', 'socketPool', 'testNames'],
  access: ['allow', 'action'],
  sinkhole: ['mode', 'ttl', 'ipv4', 'ipv6', 'ede'],
  list: ['file', 'enabled', 'format', 'match', 'id', 'vendor', 'vendorName', 'basis', 'mandatory', 'mode', 'review', 'hostsMappings', 'mayBeEmpty'],
  basis: ['authority', 'date', 'title', 'url'],
  edns: ['udpSize'],
  tcp: ['idleTimeout', 'maxConnections', 'maxPipelined', 'frameTimeout', 'maxConnectionsPerClient'],
  log: ['level', 'file', 'queries', 'maxBacklog'],
  shutdown: ['grace'],
  admin: ['enabled', 'listen'],
  clients: ['name', 'address'],
  groups: ['name', 'clients', 'lists', 'exceptions'],
  exceptions: ['domain', 'reason', 'expires'],
  antiBypass: ['firefoxCanary', 'icloudPrivateRelay', 'ddr', 'dohProviders'],
  inspection: ['cname'],
  cache: ['enabled', 'maxEntries', 'maxBytes', 'minTtl', 'maxTtl', 'maxNegativeTtl', 'serveStale', 'staleMaxAge', 'prefetch'],
  pool: ['strategy', 'maxFails', 'probeInterval', 'maxInFlight'],
  forwardZone: ['zone', 'upstreams'],
  ecs: ['strip'],
} as const;

/** Every key path the schema knows ('sinkhole.mode', 'lists[].basis[].url'), for documentation checks. */
export const CONFIG_KEYS: readonly string[] = Object.freeze(
  KEYS.top.flatMap((k): string[] => {
    if (k === 'lists') {
      return ['lists', ...KEYS.list.map((l) => `lists[].${l}`), ...KEYS.basis.map((b) => `lists[].basis[].${b}`)];
    }
    if (k === 'clients') return ['clients', ...KEYS.clients.map((l) => `clients[].${l}`)];
    if (k === 'groups') {
      return ['groups', ...KEYS.groups.map((l) => `groups[].${l}`), ...KEYS.exceptions.map((e) => `groups[].exceptions[].${e}`)];
    }
    if (k === 'forwardZones') return ['forwardZones', ...KEYS.forwardZone.map((z) => `forwardZones[].${z}`)];
    const sub: readonly string[] | undefined = (KEYS as Record<string, readonly string[]>)[k];
    return sub === undefined ? [k] : [k, ...sub.map((s) => `${k}.${s}`)];
  }),
);

/** What the schema needs from the parsed file. */
export interface SchemaInput {
  readonly doc: Document;
  readonly lineCounter: LineCounter;
  /** The source text (to tell a YAML `null` from an empty value). */
  readonly text: string;
  /** The file name as problems should show it. */
  readonly file: string;
}

export type SchemaResult = { readonly ok: true; readonly config: Config } | { readonly ok: false; readonly problems: readonly Located[] };

interface Ctx {
  readonly input: SchemaInput;
  /** Directory relative paths are resolved against. */
  readonly dir: string;
  readonly problems: Located[];
}

/** A value in the document: its node (undefined when the key is absent), its key path, and its parent for line numbers. */
interface Field {
  readonly node: unknown;
  readonly path: string;
  readonly parent: unknown;
}

type Range = readonly [number, number, number];

function rangeOf(node: unknown): Range | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const r = (node as { range?: Range | null }).range;
  return r ?? undefined;
}

function lineOf(c: Ctx, node: unknown): number {
  const r = rangeOf(node);
  return r === undefined ? 0 : Math.max(1, c.input.lineCounter.linePos(r[0]).line);
}

function report(c: Ctx, node: unknown, path: string, message: string): void {
  c.problems.push({ file: c.input.file, line: lineOf(c, node), message: `${path}: ${message}` });
}

/** Reports a problem with a field, at its own line or, when it is absent, at its parent's. */
function bad(c: Ctx, f: Field, message: string): void {
  report(c, f.node ?? f.parent, f.path, message);
}

/** Follows a YAML alias (`*name`) to the node it names. */
function deref(c: Ctx, node: unknown): unknown {
  return isAlias(node) ? node.resolve(c.input.doc) : node;
}

function sourceOf(c: Ctx, node: unknown): string {
  const r = rangeOf(node);
  return r === undefined ? '' : c.input.text.slice(r[0], r[1]);
}

/** Describes a value for a '(got ...)' suffix. */
function describe(c: Ctx, node: unknown): string {
  const n = deref(c, node);
  if (isMap(n)) return 'a mapping';
  if (isSeq(n)) return 'a list';
  if (isScalar(n)) {
    const v = n.value;
    if (v === null) return sourceOf(c, n) === '' ? 'an empty value' : 'null';
    if (typeof v === 'string') return `'${v.length > 60 ? `${v.slice(0, 57)}...` : v}'`;
    return String(v);
  }
  return 'an unsupported value';
}

function isNullNode(c: Ctx, node: unknown): boolean {
  const n = deref(c, node);
  return isScalar(n) && n.value === null;
}

function scalarValue(c: Ctx, node: unknown): unknown {
  const n = deref(c, node);
  return isScalar(n) ? n.value : undefined;
}

function child(f: Field, key: string, node: unknown): Field {
  return { node, path: f.path === '' ? key : `${f.path}.${key}`, parent: f.node ?? f.parent };
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

function suggestion(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  // Short keys get a tight bound, or 'foo' would suggest 'log'.
  const near = Math.max(1, Math.floor(key.length / 4));
  const best = known.find((k) => k.toLowerCase() === lower) ?? known.find((k) => editDistance(k.toLowerCase(), lower) <= near);
  return best === undefined ? '' : `; did you mean '${best}'?`;
}

/**
 * The keys of a mapping, checked against the known ones. An absent or null section is an empty one (all defaults),
 * so a section whose keys are all commented out still loads.
 */
function section(c: Ctx, f: Field, known: readonly string[]): (key: string) => Field {
  const values = new Map<string, unknown>();
  const lookup = (key: string): Field => child(f, key, values.get(key));
  if (f.node === undefined || isNullNode(c, f.node)) return lookup;
  const n = deref(c, f.node);
  if (!isMap(n)) {
    bad(c, f, `must be a mapping with keys ${known.join(', ')} (got ${describe(c, n)})`);
    return lookup;
  }
  for (const pair of n.items) {
    const key = scalarValue(c, pair.key);
    if (typeof key !== 'string') {
      report(c, pair.key ?? n, f.path === '' ? 'top level' : f.path, `keys must be plain names (got ${describe(c, pair.key)})`);
    } else if (!known.includes(key)) {
      const at = child(f, key, pair.key);
      report(c, pair.key, at.path, `unknown key '${key}' (known: ${known.join(', ')})${suggestion(key, known)}`);
    } else {
      // A key without a value is normally a null scalar; in a flow mapping (`{ ttl }`) there is no value node, so
      // stand in a null one at the key's place to keep the line number.
      values.set(key, pair.value ?? Object.assign(new Scalar(null), { range: rangeOf(pair.key) ?? null }));
    }
  }
  return lookup;
}

/** The items of a list; absent gives undefined (use the default), null gives an empty list. */
function items(c: Ctx, f: Field, what: string): unknown[] | undefined {
  if (f.node === undefined) return undefined;
  if (isNullNode(c, f.node)) return [];
  const n = deref(c, f.node);
  if (!isSeq(n)) {
    bad(c, f, `must be a list of ${what} (got ${describe(c, n)})`);
    return undefined;
  }
  return n.items;
}

function itemField(f: Field, i: number, node: unknown): Field {
  return { node, path: `${f.path}[${i}]`, parent: f.node };
}

function readInt(c: Ctx, f: Field, [min, max]: readonly [number, number]): number | undefined {
  if (f.node === undefined) return undefined;
  const v = scalarValue(c, f.node);
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    bad(c, f, `must be a whole number from ${min} to ${max} (got ${describe(c, f.node)})`);
    return undefined;
  }
  if (v < min || v > max) {
    bad(c, f, `must be from ${min} to ${max} (got ${v})`);
    return undefined;
  }
  return v;
}

/** `workers`: 'auto' (one per core) or a thread count. */
function readWorkers(c: Ctx, f: Field): number | 'auto' | undefined {
  if (f.node === undefined) return undefined;
  const v = scalarValue(c, f.node);
  if (v === 'auto') return 'auto';
  const [min, max] = LIMITS.workers;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    bad(c, f, `must be 'auto' (one per core) or a whole number from ${min} to ${max} (got ${describe(c, f.node)})`);
    return undefined;
  }
  return v;
}

function readBool(c: Ctx, f: Field): boolean | undefined {
  if (f.node === undefined) return undefined;
  const v = scalarValue(c, f.node);
  if (typeof v !== 'boolean') {
    bad(c, f, `must be true or false (got ${describe(c, f.node)})`);
    return undefined;
  }
  return v;
}

function readEnum<T extends string>(c: Ctx, f: Field, values: readonly T[]): T | undefined {
  if (f.node === undefined) return undefined;
  let v = scalarValue(c, f.node);
  // `mode: null` is a YAML null, not the string; the operator plainly means the sinkhole mode 'null'.
  if (v === null && values.includes('null' as T) && sourceOf(c, deref(c, f.node)) === 'null') v = 'null';
  if (typeof v !== 'string' || !values.includes(v as T)) {
    bad(c, f, `must be one of ${values.join(', ')} (got ${describe(c, f.node)})`);
    return undefined;
  }
  return v as T;
}

/** A non-empty string. */
function readString(c: Ctx, f: Field): string | undefined {
  if (f.node === undefined) return undefined;
  const v = scalarValue(c, f.node);
  if (typeof v !== 'string' || v.trim() === '') {
    bad(c, f, `must be a non-empty string (got ${describe(c, f.node)})`);
    return undefined;
  }
  return v;
}

function readDuration(c: Ctx, f: Field, [min, max]: readonly [number, number]): number | undefined {
  if (f.node === undefined) return undefined;
  const v = scalarValue(c, f.node);
  if (typeof v === 'number') {
    bad(c, f, `needs a unit: write '${v}s' for seconds or '${v}ms' for milliseconds (got ${v})`);
    return undefined;
  }
  if (typeof v !== 'string') {
    bad(c, f, `must be a duration such as '5s' or '250ms' (got ${describe(c, f.node)})`);
    return undefined;
  }
  const ms = durationOrError(v);
  if (typeof ms !== 'number') {
    bad(c, f, ms.error);
    return undefined;
  }
  if (ms < min || ms > max) {
    bad(c, f, `must be from ${formatDuration(min)} to ${formatDuration(max)} (got '${v}')`);
    return undefined;
  }
  return ms;
}

/** An IP literal of one family, or null. */
function readNullableIp(c: Ctx, f: Field, version: 4 | 6): string | null | undefined {
  if (f.node === undefined) return undefined;
  if (isNullNode(c, f.node)) return null;
  const v = scalarValue(c, f.node);
  if (typeof v !== 'string' || isIP(v) !== version || v.includes('%')) {
    bad(c, f, `must be an IPv${version} address or null (got ${describe(c, f.node)})`);
    return undefined;
  }
  return v;
}

/** A file path, resolved against the config file's directory. */
function readPath(c: Ctx, f: Field): string | undefined {
  const v = readString(c, f);
  return v === undefined ? undefined : resolve(c.dir, v);
}

function readHostPorts(c: Ctx, f: Field): HostPort[] | undefined {
  const list = items(c, f, "addresses such as '192.0.2.1:53' or '[2001:db8::1]:53'");
  if (list === undefined) return undefined;
  if (list.length === 0) {
    bad(c, f, 'must list at least one address');
    return undefined;
  }
  const out: HostPort[] = [];
  const seen = new Map<string, number>();
  list.forEach((node, i) => {
    const item = itemField(f, i, node);
    const v = scalarValue(c, node);
    if (typeof v !== 'string') {
      bad(c, item, `must be an address string such as '192.0.2.1:53' (got ${describe(c, node)})`);
      return;
    }
    const hp = hostPortOrError(v, DNS_PORT);
    if ('error' in hp) {
      bad(c, item, hp.error);
      return;
    }
    const key = formatHostPort(hp);
    const first = seen.get(key);
    if (first !== undefined) bad(c, item, `same address as ${f.path}[${first}] (${key})`);
    else seen.set(key, i);
    out.push(hp);
  });
  return out;
}

/** One address with a port (the admin endpoint has no default port to fall back on). */
function readHostPort(c: Ctx, f: Field): HostPort | undefined {
  if (f.node === undefined) return undefined;
  const v = scalarValue(c, f.node);
  if (typeof v !== 'string') {
    bad(c, f, `must be an address with a port such as '127.0.0.1:9153' (got ${describe(c, f.node)})`);
    return undefined;
  }
  const hp = hostPortOrError(v, 0);
  if ('error' in hp) {
    bad(c, f, hp.error);
    return undefined;
  }
  if (hp.port === 0) {
    bad(c, f, `needs a port, e.g. '${hp.host.includes(':') ? `[${hp.host}]` : hp.host}:9153'`);
    return undefined;
  }
  return hp;
}

function readUpstreams(c: Ctx, f: Field): Upstream[] | undefined {
  const list = items(c, f, "upstreams such as '192.0.2.53', 'tls://dns.example@192.0.2.53' or 'https://dns.example@192.0.2.53/dns-query'");
  if (list === undefined) return undefined;
  if (list.length === 0) {
    bad(c, f, 'must list at least one upstream');
    return undefined;
  }
  const out: Upstream[] = [];
  const seen = new Map<string, number>();
  list.forEach((node, i) => {
    const item = itemField(f, i, node);
    const v = scalarValue(c, node);
    if (typeof v !== 'string') {
      bad(c, item, `must be an upstream string such as '192.0.2.1:53' or 'tls://dns.example@192.0.2.1' (got ${describe(c, node)})`);
      return;
    }
    const u = upstreamOrError(v);
    if ('error' in u) {
      bad(c, item, u.error);
      return;
    }
    const first = seen.get(u.url);
    if (first !== undefined) bad(c, item, `same upstream as ${f.path}[${first}] (${u.url})`);
    else seen.set(u.url, i);
    out.push(u);
  });
  return out;
}

/** A DNS zone name for forwardZones: lower-cased, without the trailing dot; '.' is not allowed (that is `upstreams`). */
const ZONE = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function readForwardZones(c: Ctx, f: Field): ForwardZone[] | undefined {
  const list = items(c, f, 'zones with their upstreams ({zone, upstreams})');
  if (list === undefined) return undefined;
  const out: ForwardZone[] = [];
  const seen = new Map<string, number>();
  list.forEach((node, i) => {
    const item = itemField(f, i, node);
    if (!isMap(deref(c, node))) {
      bad(c, item, `must be a mapping with zone and upstreams (got ${describe(c, node)})`);
      return;
    }
    const get = section(c, item, KEYS.forwardZone);
    const zf = get('zone');
    const uf = get('upstreams');
    if (zf.node === undefined) bad(c, zf, 'required');
    if (uf.node === undefined) bad(c, uf, 'required');
    const raw = readString(c, zf);
    const zone = raw === undefined ? undefined : raw.toLowerCase().replace(/\.$/, '');
    if (zone !== undefined && !ZONE.test(zone)) {
      bad(c, zf, `must be a domain name such as 'corp.example' or '10.in-addr.arpa' (got '${raw ?? ''}')`);
      return;
    }
    const upstreams = readUpstreams(c, uf);
    if (zone === undefined || upstreams === undefined) return;
    const first = seen.get(zone);
    if (first !== undefined) bad(c, zf, `same zone as ${f.path}[${first}] ('${zone}')`);
    else seen.set(zone, i);
    out.push({ zone, upstreams });
  });
  return out;
}

/** A duration in whole seconds (a TTL), within [min, max] seconds. */
function readSeconds(c: Ctx, f: Field, [min, max]: readonly [number, number]): number | undefined {
  const ms = readDuration(c, f, [min * SECOND, max * SECOND]);
  if (ms === undefined) return undefined;
  if (ms % SECOND !== 0) {
    bad(c, f, `must be a whole number of seconds, as DNS TTLs are (got '${String(scalarValue(c, f.node))}')`);
    return undefined;
  }
  return ms / SECOND;
}

function readAllow(c: Ctx, f: Field): string[] | undefined {
  const list = items(c, f, "networks such as '10.0.0.0/8' or addresses");
  if (list === undefined) return undefined;
  if (list.length === 0) {
    bad(c, f, 'must list at least one network or address (an empty list would refuse every client)');
    return undefined;
  }
  const out: string[] = [];
  list.forEach((node, i) => {
    const item = itemField(f, i, node);
    const v = scalarValue(c, node);
    if (typeof v !== 'string') {
      bad(c, item, `must be a network such as '10.0.0.0/8' or an address (got ${describe(c, node)})`);
      return;
    }
    const cidr = parseCidr(v);
    if ('error' in cidr) bad(c, item, cidr.error);
    else out.push(v);
  });
  return out;
}

/** A string that passes a check; one message for every way it can fail. */
function readMatching(c: Ctx, f: Field, ok: (v: string) => boolean, what: string): string | undefined {
  if (f.node === undefined) return undefined;
  const v = scalarValue(c, f.node);
  if (typeof v !== 'string' || !ok(v)) {
    bad(c, f, `must be ${what} (got ${describe(c, f.node)})`);
    return undefined;
  }
  return v;
}

const ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const DATE = /^\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?$/;

function readId(c: Ctx, f: Field): string | undefined {
  return readMatching(c, f, (v) => ID.test(v), "lower-case letters, digits, '-', '_' or '.', starting with a letter or digit, at most 63 long");
}

function readBasis(c: Ctx, f: Field): Basis[] | undefined {
  const list = items(c, f, 'legal bases (authority, date, title, url)');
  if (list === undefined) return undefined;
  if (list.length === 0) {
    bad(c, f, 'must list at least one legal basis');
    return undefined;
  }
  const out: Basis[] = [];
  list.forEach((node, i) => {
    const item = itemField(f, i, node);
    if (!isMap(deref(c, node))) {
      bad(c, item, `must be a mapping with authority, date, title and url (got ${describe(c, node)})`);
      return;
    }
    const get = section(c, item, KEYS.basis);
    const fields = { authority: get('authority'), date: get('date'), title: get('title'), url: get('url') };
    for (const field of Object.values(fields)) if (field.node === undefined) bad(c, field, 'required');
    const authority = readString(c, fields.authority);
    const title = readString(c, fields.title);
    const date = readMatching(c, fields.date, (v) => DATE.test(v), "an ISO date such as '2025-07-09' (or '2025-07', '2025' when only that is known)");
    const url = readMatching(c, fields.url, (v) => /^https?:\/\/[^/]/.test(v) && URL.canParse(v), "an http or https URL such as 'https://example.org/decision'");
    if (authority !== undefined && date !== undefined && title !== undefined && url !== undefined) {
      out.push({ authority, date, title, url });
    }
  });
  return out;
}

function readList(c: Ctx, item: Field): ListConfig | undefined {
  if (!isMap(deref(c, item.node))) {
    bad(c, item, `must be a mapping with at least 'file' (got ${describe(c, item.node)})`);
    return undefined;
  }
  const get = section(c, item, KEYS.list);
  const fileField = get('file');
  if (fileField.node === undefined) bad(c, fileField, 'required');
  const file = readPath(c, fileField);
  const enabled = readBool(c, get('enabled')) ?? true;
  const format = readEnum(c, get('format'), LIST_FORMATS);
  const match = readEnum(c, get('match'), LIST_MATCH);
  const id = readId(c, get('id'));
  const vendor = readId(c, get('vendor'));
  const vendorName = readString(c, get('vendorName'));
  const basis = readBasis(c, get('basis'));
  const mandatory = readBool(c, get('mandatory'));
  const mode = readEnum(c, get('mode'), LIST_MODES);
  const review = readMatching(c, get('review'), (v) => DATE.test(v), "an ISO date such as '2026-06-30'");
  const hostsMappings = readEnum(c, get('hostsMappings'), HOSTS_MAPPINGS);
  const mayBeEmpty = readString(c, get('mayBeEmpty'));
  if (mayBeEmpty !== undefined && mayBeEmpty.trim() === '') bad(c, get('mayBeEmpty'), 'must say why the list may be empty');

  // Plain and hosts files carry no metadata, so provenance for the block log must come from here.
  if (format === 'plain' || format === 'wildcard' || format === 'hosts' || format === 'adblock' || format === 'rpz' || format === 'prefixes') {
    for (const key of ['id', 'vendor', 'basis'] as const) {
      const f = get(key);
      if (f.node === undefined) bad(c, f, `required for a ${format} list (the file itself carries no metadata)`);
    }
  }
  // A hradba list's header is its provenance; a second source here could contradict it.
  if (format === 'hradba') {
    for (const key of ['id', 'vendor', 'vendorName', 'basis', 'match'] as const) {
      const f = get(key);
      if (f.node !== undefined) bad(c, f, `not allowed for a hradba list (its header line says this)`);
    }
  }
  if (file === undefined) return undefined;
  return {
    file,
    enabled,
    ...(format === undefined ? {} : { format }),
    ...(id === undefined ? {} : { id }),
    ...(vendor === undefined ? {} : { vendor }),
    ...(vendorName === undefined ? {} : { vendorName }),
    ...(basis === undefined ? {} : { basis }),
    ...(match === undefined ? {} : { match }),
    // Left out when not written, so a list entry reads the same as before these keys existed.
    ...(mandatory === undefined ? {} : { mandatory }),
    ...(mode === undefined ? {} : { mode }),
    ...(review === undefined ? {} : { review }),
    ...(hostsMappings === undefined ? {} : { hostsMappings }),
    ...(mayBeEmpty === undefined ? {} : { mayBeEmpty }),
  };
}

function readLists(c: Ctx, f: Field): ListConfig[] | undefined {
  const list = items(c, f, "list entries (each a mapping with at least 'file')");
  if (list === undefined) return undefined;
  const out: ListConfig[] = [];
  const files = new Map<string, number>();
  const ids = new Map<string, number>();
  list.forEach((node, i) => {
    const item = itemField(f, i, node);
    const entry = readList(c, item);
    if (entry === undefined) return;
    const firstFile = files.get(entry.file);
    if (firstFile !== undefined) bad(c, child(item, 'file', deref(c, node)), `same file as ${f.path}[${firstFile}]`);
    else files.set(entry.file, i);
    if (entry.id !== undefined) {
      const firstId = ids.get(entry.id);
      if (firstId !== undefined) bad(c, child(item, 'id', deref(c, node)), `same id as ${f.path}[${firstId}] ('${entry.id}')`);
      else ids.set(entry.id, i);
    }
    out.push(entry);
  });
  return out;
}

/** A CIDR or address string (as in access.allow). */
function readCidr(c: Ctx, f: Field): string | undefined {
  if (f.node === undefined) return undefined;
  const v = scalarValue(c, f.node);
  if (typeof v !== 'string') {
    bad(c, f, `must be a network such as '10.0.0.0/8' or an address (got ${describe(c, f.node)})`);
    return undefined;
  }
  const cidr = parseCidr(v);
  if ('error' in cidr) {
    bad(c, f, cidr.error);
    return undefined;
  }
  return v;
}

function readClients(c: Ctx, f: Field): ClientConfig[] | undefined {
  const list = items(c, f, "named clients (each a mapping with 'name' and 'address')");
  if (list === undefined) return undefined;
  const out: ClientConfig[] = [];
  list.forEach((node, i) => {
    const item = itemField(f, i, node);
    if (!isMap(deref(c, node))) {
      bad(c, item, `must be a mapping with name and address (got ${describe(c, node)})`);
      return;
    }
    const get = section(c, item, KEYS.clients);
    for (const k of ['name', 'address'] as const) if (get(k).node === undefined) bad(c, get(k), 'required');
    const name = readString(c, get('name'));
    const address = readCidr(c, get('address'));
    if (name !== undefined && address !== undefined) out.push({ name, address });
  });
  return out;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

function readException(c: Ctx, item: Field): ExceptionConfig | undefined {
  if (!isMap(deref(c, item.node))) {
    bad(c, item, `must be a mapping with domain, reason and optionally expires (got ${describe(c, item.node)})`);
    return undefined;
  }
  const get = section(c, item, KEYS.exceptions);
  for (const k of ['domain', 'reason'] as const) if (get(k).node === undefined) bad(c, get(k), 'required (an exception must say why)');
  const domainText = readString(c, get('domain'));
  let domain: string | undefined;
  if (domainText !== undefined) {
    const d = normalizeDomain(domainText);
    if (typeof d === 'string') domain = d;
    else bad(c, get('domain'), d.error);
  }
  const reason = readString(c, get('reason'));
  const ef = get('expires');
  let expires: string | null = null;
  if (ef.node !== undefined && !isNullNode(c, ef.node)) {
    const v = readMatching(c, ef, (s) => ISO_TIME.test(s) && !Number.isNaN(Date.parse(s)), "an ISO time such as '2026-12-31T23:59:59Z' or a date '2026-12-31'");
    if (v === undefined) return undefined;
    expires = v;
  }
  if (domain === undefined || reason === undefined) return undefined;
  return { domain, reason, expires };
}

function readGroups(c: Ctx, f: Field): GroupConfig[] | undefined {
  const list = items(c, f, "client groups (each a mapping with 'name')");
  if (list === undefined) return undefined;
  const out: GroupConfig[] = [];
  const names = new Map<string, number>();
  list.forEach((node, i) => {
    const item = itemField(f, i, node);
    if (!isMap(deref(c, node))) {
      bad(c, item, `must be a mapping with name, clients, lists and exceptions (got ${describe(c, node)})`);
      return;
    }
    const get = section(c, item, KEYS.groups);
    if (get('name').node === undefined) bad(c, get('name'), 'required');
    const name = readId(c, get('name'));
    if (name !== undefined) {
      const first = names.get(name);
      if (first !== undefined) bad(c, get('name'), `same name as ${f.path}[${first}]`);
      else names.set(name, i);
    }
    const clientsField = get('clients');
    const clients: string[] = [];
    (items(c, clientsField, 'networks or addresses') ?? []).forEach((n, j) => {
      const v = readCidr(c, itemField(clientsField, j, n));
      if (v !== undefined) clients.push(v);
    });
    if (name === 'default' && clients.length > 0) bad(c, clientsField, "the 'default' group takes every client no other group has; it lists none");
    if (name !== undefined && name !== 'default' && clients.length === 0 && clientsField.node === undefined) {
      bad(c, clientsField, 'required: the networks or addresses of the members');
    }
    const listsField = get('lists');
    let lists: string[] | null = null;
    const listItems = items(c, listsField, 'list ids');
    if (listItems !== undefined) {
      lists = [];
      listItems.forEach((n, j) => {
        const v = readId(c, itemField(listsField, j, n));
        if (v !== undefined) lists?.push(v);
      });
    }
    const exField = get('exceptions');
    const exceptions: ExceptionConfig[] = [];
    (items(c, exField, 'exceptions (domain, reason, expires)') ?? []).forEach((n, j) => {
      const e = readException(c, itemField(exField, j, n));
      if (e !== undefined) exceptions.push(e);
    });
    if (name !== undefined) out.push({ name, clients, lists, exceptions });
  });
  return out;
}

/** Validates a parsed config document; on success the Config is deep-frozen, otherwise every problem is returned. */
export function buildConfig(input: SchemaInput): SchemaResult {
  const absFile = resolve(input.file);
  const c: Ctx = { input, dir: dirname(absFile), problems: [] };
  const root: Field = { node: input.doc.contents ?? undefined, path: '', parent: undefined };
  const rootNode = deref(c, root.node);
  if (root.node !== undefined && !isMap(rootNode) && !isNullNode(c, rootNode)) {
    report(c, root.node, 'top level', `must be a mapping of keys such as listen, upstreams, lists (got ${describe(c, rootNode)})`);
    return { ok: false, problems: c.problems };
  }
  const top = section(c, root, KEYS.top);
  const d = DEFAULTS;

  const listen = readHostPorts(c, top('listen')) ?? d.listen;
  const upstreams = readUpstreams(c, top('upstreams')) ?? d.upstreams;

  const fwd = section(c, top('forward'), KEYS.forward);
  const attemptTimeoutMs = readDuration(c, fwd('attemptTimeout'), LIMITS.attemptTimeoutMs);
  const deadlineMs = readDuration(c, fwd('deadline'), LIMITS.deadlineMs);
  const forward = {
    attemptTimeoutMs: attemptTimeoutMs ?? d.forward.attemptTimeoutMs,
    deadlineMs: deadlineMs ?? d.forward.deadlineMs,
    socketPool: readInt(c, fwd('socketPool'), LIMITS.socketPool) ?? d.forward.socketPool,
    testNames: readBool(c, fwd('testNames')) ?? d.forward.testNames,
  };
  // Compared only when neither is invalid, so one mistake gives one message.
  const readable = (f: Field, v: number | undefined): boolean => f.node === undefined || v !== undefined;
  if (readable(fwd('attemptTimeout'), attemptTimeoutMs) && readable(fwd('deadline'), deadlineMs) && forward.deadlineMs < forward.attemptTimeoutMs) {
    // Reported on the key that was written; when both are, on the deadline.
    if (deadlineMs !== undefined) {
      bad(c, fwd('deadline'), `must not be shorter than forward.attemptTimeout (${formatDuration(forward.attemptTimeoutMs)})`);
    } else {
      bad(c, fwd('attemptTimeout'), `must not be longer than forward.deadline (${formatDuration(forward.deadlineMs)})`);
    }
  }

  const acc = section(c, top('access'), KEYS.access);
  const access = {
    allow: readAllow(c, acc('allow')) ?? d.access.allow,
    action: readEnum(c, acc('action'), ACCESS_ACTIONS) ?? d.access.action,
  };

  const sink = section(c, top('sinkhole'), KEYS.sinkhole);
  const ttlField = sink('ttl');
  let ttlMs = readDuration(c, ttlField, [LIMITS.ttlSec[0] * SECOND, LIMITS.ttlSec[1] * SECOND]);
  if (ttlMs !== undefined && ttlMs % SECOND !== 0) {
    bad(c, ttlField, `must be a whole number of seconds, as DNS TTLs are (got '${String(scalarValue(c, ttlField.node))}')`);
    ttlMs = undefined;
  }
  const modeField = sink('mode');
  const sinkhole = {
    mode: readEnum(c, modeField, SINKHOLE_MODES) ?? d.sinkhole.mode,
    ttlSec: ttlMs === undefined ? d.sinkhole.ttlSec : ttlMs / SECOND,
    ipv4: readNullableIp(c, sink('ipv4'), 4) ?? d.sinkhole.ipv4,
    ipv6: readNullableIp(c, sink('ipv6'), 6) ?? d.sinkhole.ipv6,
    ede: readBool(c, sink('ede')) ?? d.sinkhole.ede,
  };
  // Judged on what is written, so an invalid address is reported once, as invalid, and not again as missing.
  const unset = (f: Field): boolean => f.node === undefined || isNullNode(c, f.node);
  if (sinkhole.mode === 'ip' && unset(sink('ipv4')) && unset(sink('ipv6'))) {
    bad(c, modeField, "'ip' needs sinkhole.ipv4 or sinkhole.ipv6 (the address of the block page)");
  }

  const lists = readLists(c, top('lists')) ?? d.lists;
  const maxBadLines = readInt(c, top('maxBadLines'), LIMITS.maxBadLines) ?? d.maxBadLines;

  const workers = readWorkers(c, top('workers')) ?? d.workers;

  const ed = section(c, top('edns'), KEYS.edns);
  const edns = { udpSize: readInt(c, ed('udpSize'), LIMITS.udpSize) ?? d.edns.udpSize };

  const tc = section(c, top('tcp'), KEYS.tcp);
  const tcp = {
    idleTimeoutMs: readDuration(c, tc('idleTimeout'), LIMITS.idleTimeoutMs) ?? d.tcp.idleTimeoutMs,
    maxConnections: readInt(c, tc('maxConnections'), LIMITS.maxConnections) ?? d.tcp.maxConnections,
    maxPipelined: readInt(c, tc('maxPipelined'), LIMITS.maxPipelined) ?? d.tcp.maxPipelined,
    frameTimeoutMs: readDuration(c, tc('frameTimeout'), LIMITS.frameTimeoutMs) ?? d.tcp.frameTimeoutMs,
    maxConnectionsPerClient: readInt(c, tc('maxConnectionsPerClient'), LIMITS.maxConnectionsPerClient) ?? d.tcp.maxConnectionsPerClient,
  };

  const lg = section(c, top('log'), KEYS.log);
  const logFile = lg('file');
  const log = {
    level: readEnum(c, lg('level'), LOG_LEVELS) ?? d.log.level,
    file: isNullNode(c, logFile.node) ? null : (readPath(c, logFile) ?? d.log.file),
    queries: readBool(c, lg('queries')) ?? d.log.queries,
    maxBacklog: readInt(c, lg('maxBacklog'), LIMITS.logMaxBacklog) ?? d.log.maxBacklog,
  };

  const sd = section(c, top('shutdown'), KEYS.shutdown);
  const shutdown = { graceMs: readDuration(c, sd('grace'), LIMITS.graceMs) ?? d.shutdown.graceMs };

  const adm = section(c, top('admin'), KEYS.admin);
  const admin = {
    enabled: readBool(c, adm('enabled')) ?? d.admin.enabled,
    listen: readHostPort(c, adm('listen')) ?? d.admin.listen,
  };


  const shrinkGuard = readInt(c, top('shrinkGuard'), LIMITS.shrinkGuard) ?? d.shrinkGuard;
  const clients = readClients(c, top('clients')) ?? d.clients;
  const groups = readGroups(c, top('groups')) ?? d.groups;
  const ab = section(c, top('antiBypass'), KEYS.antiBypass);
  const antiBypass = {
    firefoxCanary: readBool(c, ab('firefoxCanary')) ?? d.antiBypass.firefoxCanary,
    icloudPrivateRelay: readBool(c, ab('icloudPrivateRelay')) ?? d.antiBypass.icloudPrivateRelay,
    ddr: readBool(c, ab('ddr')) ?? d.antiBypass.ddr,
    dohProviders: readBool(c, ab('dohProviders')) ?? d.antiBypass.dohProviders,
  };
  const ins = section(c, top('inspection'), KEYS.inspection);
  const inspection = { cname: readBool(c, ins('cname')) ?? d.inspection.cname };

  const ca = section(c, top('cache'), KEYS.cache);
  const cache = {
    enabled: readBool(c, ca('enabled')) ?? d.cache.enabled,
    maxEntries: readInt(c, ca('maxEntries'), LIMITS.cacheEntries) ?? d.cache.maxEntries,
    maxBytes: readInt(c, ca('maxBytes'), LIMITS.cacheBytes) ?? d.cache.maxBytes,
    minTtlSec: readSeconds(c, ca('minTtl'), LIMITS.cacheTtlSec) ?? d.cache.minTtlSec,
    maxTtlSec: readSeconds(c, ca('maxTtl'), LIMITS.cacheTtlSec) ?? d.cache.maxTtlSec,
    maxNegativeTtlSec: readSeconds(c, ca('maxNegativeTtl'), LIMITS.cacheTtlSec) ?? d.cache.maxNegativeTtlSec,
    serveStale: readBool(c, ca('serveStale')) ?? d.cache.serveStale,
    staleMaxAgeSec: readSeconds(c, ca('staleMaxAge'), LIMITS.cacheTtlSec) ?? d.cache.staleMaxAgeSec,
    prefetch: readBool(c, ca('prefetch')) ?? d.cache.prefetch,
  };
  if (cache.minTtlSec > cache.maxTtlSec) bad(c, ca('minTtl'), `must not be longer than cache.maxTtl (${cache.maxTtlSec}s)`);

  const po = section(c, top('pool'), KEYS.pool);
  const pool = {
    strategy: readEnum(c, po('strategy'), POOL_STRATEGIES) ?? d.pool.strategy,
    maxFails: readInt(c, po('maxFails'), LIMITS.maxFails) ?? d.pool.maxFails,
    probeIntervalMs: readDuration(c, po('probeInterval'), LIMITS.probeIntervalMs) ?? d.pool.probeIntervalMs,
    maxInFlight: readInt(c, po('maxInFlight'), LIMITS.maxInFlight) ?? d.pool.maxInFlight,
  };
  const forwardZones = readForwardZones(c, top('forwardZones')) ?? d.forwardZones;
  const ec = section(c, top('ecs'), KEYS.ecs);
  const ecs = { strip: readBool(c, ec('strip')) ?? d.ecs.strip };

  // Sections are read in a fixed order, not the file's; report in file order, as an editor would list them.
  if (c.problems.length > 0) return { ok: false, problems: [...c.problems].sort((a, b) => a.line - b.line) };
  const config: Config = {
    file: absFile, listen, upstreams, forward, access, sinkhole, lists, maxBadLines, workers, edns, tcp, log, shutdown,
    admin, shrinkGuard, clients, groups, antiBypass, inspection, cache, pool, forwardZones, ecs,
  };
  return { ok: true, config: deepFreeze(config) };
}
