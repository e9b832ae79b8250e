/** The validated, frozen shape of hradba's configuration; `config/schema.ts` turns YAML into it. */
import type { Basis } from '../policy/types.js';

/** A host and port; `host` is an IP literal without brackets (e.g. '::1'). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** How hradba talks to an upstream: plain DNS over UDP (TCP after truncation), TCP, DNS over TLS, DNS over HTTPS. */
export type UpstreamTransport = 'udp' | 'tcp' | 'tls' | 'https';

/** An upstream resolver as written in `upstreams` or `forwardZones[].upstreams` (src/upstream/upstream-url.ts). */
export interface Upstream extends HostPort {
  readonly transport: UpstreamTransport;
  /** The name its TLS certificate must carry (tls, https); null for udp and tcp. */
  readonly tlsName: string | null;
  /** The HTTP path of a DoH upstream ('/dns-query'); null otherwise. */
  readonly path: string | null;
  /** Optional pin: base64 SHA-256 of the certificate's SubjectPublicKeyInfo (tls, https). */
  readonly spkiPin: string | null;
  /** The canonical spelling, used in logs and results. */
  readonly url: string;
}

/** A conditional forwarding rule: names at or below `zone` go to these upstreams instead of the default ones. */
export interface ForwardZone {
  /** Lower-case, no trailing dot ('corp.example', '10.in-addr.arpa'). */
  readonly zone: string;
  readonly upstreams: readonly Upstream[];
}

export type PoolStrategy = 'sequential' | 'round-robin' | 'fastest';

export type SinkholeMode = 'nxdomain' | 'nodata' | 'refused' | 'null' | 'ip';
export type ListFormat = 'hradba' | 'plain' | 'wildcard' | 'hosts' | 'adblock' | 'rpz' | 'prefixes';
/** enforce: matching names are sinkholed; log-only: they are answered normally and logged as 'would-sinkhole'. */
export type ListMode = 'enforce' | 'log-only';

/** One list entry of the `lists` key. */
export interface ListConfig {
  /** Absolute path (relative paths in YAML are resolved against the config file's directory). */
  readonly file: string;
  /** false: the list is known but not enforced. */
  readonly enabled: boolean;
  /** Format; when absent it is detected (a `#@hradba-list` first line means 'hradba', else 'plain'/'hosts' by content). */
  readonly format?: ListFormat;
  /** For plain and hosts lists (which carry no metadata): id, vendor, vendorName and basis. A hradba list may not override them. */
  readonly id?: string;
  readonly vendor?: string;
  readonly vendorName?: string;
  readonly basis?: readonly Basis[];
  /** How entries of a plain or hosts list match: 'suffix' (default for plain) or 'exact' (default for hosts). */
  readonly match?: 'suffix' | 'exact';
  /** A mandatory list must load at start; on reload a broken one keeps its previous version in force. */
  readonly mandatory?: boolean;
  readonly mode?: ListMode;
  /** ISO date after which `hradba check` warns that the list is due for review. */
  readonly review?: string;
  /** Hosts lines that map a name to a routable address (not a block address): 'skip' (default, with a warning) or 'block'. */
  readonly hostsMappings?: 'skip' | 'block';
  /** Why the list may yield no entry (a third-party list's `#@empty`); without it an empty list fails. */
  readonly mayBeEmpty?: string;
}

/** One exception (allow entry) of a client group. */
export interface ExceptionConfig {
  /** Normalised domain; the exception covers it and every name below it. */
  readonly domain: string;
  /** Why the group may resolve it (shown by `explain` and logged). */
  readonly reason: string;
  /** ISO 8601 time after which the exception no longer applies; null: no expiry. */
  readonly expires: string | null;
}

/** A named set of clients with its own enforced lists and exceptions. */
export interface GroupConfig {
  readonly name: string;
  /** CIDRs or addresses of the members; the most specific prefix over all groups decides. */
  readonly clients: readonly string[];
  /** Ids of the lists enforced for the group; null: every enabled list. */
  readonly lists: readonly string[] | null;
  readonly exceptions: readonly ExceptionConfig[];
}

/** A client name for logs and reports: an address or network. */
export interface ClientConfig {
  readonly name: string;
  readonly address: string;
}

export interface Config {
  /** Absolute path of the file this came from ('<embedded>' never: the default is a real file). */
  readonly file: string;
  /** Addresses served over both UDP and TCP. */
  readonly listen: readonly HostPort[];
  /** Upstream resolvers, chosen by `pool.strategy`. */
  readonly upstreams: readonly Upstream[];
  readonly forward: {
    /** Wait for one upstream attempt before the next upstream is tried. */
    readonly attemptTimeoutMs: number;
    /** Bound on the whole forwarding; then the client gets SERVFAIL. */
    readonly deadlineMs: number;
    /** Size of the pool of randomly bound UDP sockets per address family (each query leaves from one not used for the longest). */
    readonly socketPool: number;
    /** Send names under `test.` upstream; by default (RFC 6761 §6.2) they are answered locally with NXDOMAIN. */
    readonly testNames: boolean;
  };
  readonly access: {
    /** CIDRs (or single addresses) allowed to query. */
    readonly allow: readonly string[];
    /** What others get: REFUSED, or nothing at all. */
    readonly action: 'refuse' | 'drop';
  };
  readonly sinkhole: {
    readonly mode: SinkholeMode;
    readonly ttlSec: number;
    /** For mode 'ip': block-page addresses (at least one of them). */
    readonly ipv4: string | null;
    readonly ipv6: string | null;
    /** Attach Extended DNS Error 15 (Blocked) to answers for EDNS queries. */
    readonly ede: boolean;
  };
  readonly lists: readonly ListConfig[];
  /** A list with more bad lines than this fails to load as a whole. */
  readonly maxBadLines: number;
  /** Serving threads sharing the listen addresses (SO_REUSEPORT) and one policy; 'auto' is one per core. */
  readonly workers: number | 'auto';
  readonly edns: {
    /** Our advertised UDP payload size, and the cap on what we send over UDP. */
    readonly udpSize: number;
  };
  readonly tcp: {
    readonly idleTimeoutMs: number;
    readonly maxConnections: number;
    /** Queries answered concurrently on one connection before reading pauses. */
    readonly maxPipelined: number;
    /** A frame must arrive whole within this long of its first byte, or the connection is closed. */
    readonly frameTimeoutMs: number;
    /** Open connections of one source address at most; beyond it, new ones are closed at accept. */
    readonly maxConnectionsPerClient: number;
  };
  readonly log: {
    readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
    /** Sinkhole and service log destination; null means stdout. */
    readonly file: string | null;
    /** Log every answered query at debug level (privacy: off by default). */
    readonly queries: boolean;
    /** Most log lines held in memory while the log's disk or pipe lags or fails; lines beyond it are dropped and counted. */
    readonly maxBacklog: number;
  };
  /** A reload in which a list loses more than this percentage of its entries is rejected (100: off). */
  readonly shrinkGuard: number;
  readonly clients: readonly ClientConfig[];
  readonly groups: readonly GroupConfig[];
  readonly antiBypass: {
    /** use-application-dns.net → NXDOMAIN (Firefox then keeps its DNS-over-HTTPS off). */
    readonly firefoxCanary: boolean;
    /** mask.icloud.com, mask-h2.icloud.com → NXDOMAIN (iCloud Private Relay stays off). */
    readonly icloudPrivateRelay: boolean;
    /** resolver.arpa (RFC 9462 discovery of designated resolvers) → NODATA. */
    readonly ddr: boolean;
    /** The shipped list of public DNS-over-HTTPS/TLS resolver names (blocklists/anti-bypass/doh-providers.txt) → NXDOMAIN. */
    readonly dohProviders: boolean;
  };
  readonly inspection: {
    /** Sinkhole an allowed name whose upstream answer has a CNAME/DNAME chain member that is banned. */
    readonly cname: boolean;
  };
  readonly shutdown: {
    /** How long in-flight queries may finish after SIGTERM/SIGINT. */
    readonly graceMs: number;
  };
  /** The HTTP admin endpoint: /healthz, /readyz, /metrics. */
  readonly admin: {
    readonly enabled: boolean;
    /** Where it listens; loopback by default. */
    readonly listen: HostPort;
  };
  /** The answer cache. */
  readonly cache: {
    readonly enabled: boolean;
    readonly maxEntries: number;
    readonly maxBytes: number;
    readonly minTtlSec: number;
    readonly maxTtlSec: number;
    readonly maxNegativeTtlSec: number;
    /** RFC 8767: answer from expired entries when every upstream fails. */
    readonly serveStale: boolean;
    /** How long past expiry an entry may still be served stale. */
    readonly staleMaxAgeSec: number;
    /** Refresh popular entries shortly before they expire. */
    readonly prefetch: boolean;
  };
  /** How the upstreams of a set are chosen and watched. */
  readonly pool: {
    readonly strategy: PoolStrategy;
    /** Consecutive failures that mark an upstream down. */
    readonly maxFails: number;
    /** How often a down upstream is probed. */
    readonly probeIntervalMs: number;
    /** Queries in flight per upstream at most. */
    readonly maxInFlight: number;
  };
  /** Conditional forwarding rules; the longest matching zone wins. */
  readonly forwardZones: readonly ForwardZone[];
  readonly ecs: {
    /** Remove EDNS Client Subnet options from client queries before forwarding. */
    readonly strip: boolean;
  };
}
