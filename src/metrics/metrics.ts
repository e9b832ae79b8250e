/**
 * The Prometheus metrics of one hradba process, in a registry of its own (prom-client). Every label value comes from
 * a bounded set: transports, outcomes, the configured upstreams, list ids and vendors. Never a query name or a
 * client address, which would make the series count grow with the traffic.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HostPort } from '../config/types.js';
import { TCP_CLOSE_REASONS, type TcpCloseReason } from '../net/tcp-listener.js';
import type { Transport } from '../net/types.js';
import type { ListInfo, PolicyEntry } from '../policy/types.js';
import type { Outcome } from '../server/query-handler.js';
import type { UpstreamErrorReason, UpstreamObserver } from '../upstream/types.js';

/** What the metrics need to know of a loaded policy (a Snapshot has all of it). */
export interface PolicyFacts {
  readonly version: number;
  readonly lists: readonly { readonly id: string; readonly entries: number }[];
}

export interface Metrics {
  readonly registry: Registry;
  /** Counts one query's outcome; `entry` names vendor and list of a sinkholed query. */
  query(outcome: Outcome, transport: Transport, entry?: PolicyEntry): void;
  /** The forwarder's hook: latency of answers and errors, per upstream. */
  readonly upstream: UpstreamObserver;
  /** A policy went into force (at start or by a reload). */
  policyLoaded(policy: PolicyFacts, reload: boolean): void;
  /** A reload was rejected; the old policy stays. */
  reloadFailed(): void;
  /** Reads the number of queries in flight at scrape time. */
  inFlightFrom(read: () => number): void;
  /** Date.now() of the last usable upstream answer, or null when none came yet. */
  lastUpstreamAnswerMs(): number | null;
  /** A TCP connection the listener closed on its own (outside access.allow, over a cap, shed, frame deadline). */
  tcpClosed(reason: TcpCloseReason): void;
}

/** Upstream response time buckets, in seconds: a LAN resolver answers in a millisecond, a cold recursion in a second. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const hostPortLabel = (hp: HostPort): string => (hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`);

/** createMetrics registers every hradba metric (and Node's process metrics) in a fresh registry. */
export function createMetrics(opts: { version: string; defaultMetrics?: boolean }): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'hradba_' });

  // Several serving threads each keep a registry and the supervisor sums them; `aggregator` marks the metrics that
  // every thread reports alike (the policy, its reloads), which are taken once instead.
  new Gauge({ name: 'hradba_build_info', help: 'hradba version; always 1', labelNames: ['version'], registers: [registry], aggregator: 'first' })
    .labels(opts.version)
    .set(1);
  // The two per-query counters are plain numbers, copied into prom-client only when scraped: a prom-client child's
  // inc() hashes its labels on every call (about 300 ns, against about 25 ns for this).
  const queryCounts: Record<Transport, Partial<Record<Outcome, number>>> = { udp: {}, tcp: {} };
  new Counter({
    name: 'hradba_queries_total',
    help: 'Queries answered (or dropped), by client transport and outcome',
    labelNames: ['transport', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const transport of ['udp', 'tcp'] as const) {
        for (const [outcome, n] of Object.entries(queryCounts[transport])) this.inc({ transport, outcome }, n);
      }
    },
  });
  /** One record per (vendor, list) label pair, shared by every ListInfo object (one per reload) with those labels. */
  interface SinkholeCount {
    readonly vendor: string;
    readonly list: string;
    n: number;
  }
  const sinkholeCounts = new Map<string, SinkholeCount>();
  // Weak, because a reload brings new list objects; the records above stay bounded by the label pairs.
  const sinkholeByList = new WeakMap<ListInfo, SinkholeCount>();
  new Counter({
    name: 'hradba_sinkholed_total',
    help: 'Sinkholed queries by vendor and list',
    labelNames: ['vendor', 'list'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of sinkholeCounts.values()) this.inc({ vendor: c.vendor, list: c.list }, c.n);
    },
  });
  const upstreamSeconds = new Histogram({
    name: 'hradba_upstream_response_seconds',
    help: 'Time from sending a query to an upstream to its usable answer',
    labelNames: ['upstream'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const upstreamErrors = new Counter({
    name: 'hradba_upstream_errors_total',
    help: 'Upstream attempts that did not help: timeout, error (send or TCP), servfail or refused answers',
    labelNames: ['upstream', 'reason'],
    registers: [registry],
  });
  let readInFlight: () => number = () => 0;
  new Gauge({
    name: 'hradba_queries_in_flight',
    help: 'Queries waiting for an upstream answer',
    registers: [registry],
    collect() {
      this.set(readInFlight());
    },
  });
  const reloads = new Counter({ name: 'hradba_reloads_total', help: 'Reloads by result (ok, failed)', labelNames: ['result'], registers: [registry], aggregator: 'max' });
  // Both results exist from the start, so a rate() or an alert on failures works before the first one.
  reloads.labels('ok').inc(0);
  reloads.labels('failed').inc(0);
  const lastGood = new Gauge({
    name: 'hradba_policy_loaded_timestamp_seconds',
    help: 'Unix time the policy in force was loaded (at start or by the last good reload)',
    registers: [registry],
    aggregator: 'max',
  });
  const policyVersion = new Gauge({ name: 'hradba_policy_version', help: 'Version of the policy in force (1 at start, +1 per reload)', registers: [registry], aggregator: 'max' });
  const listEntries = new Gauge({ name: 'hradba_list_entries', help: 'Entries per enforced list', labelNames: ['list'], registers: [registry], aggregator: 'max' });

  // Upstream children are bound once, keyed by the upstream's config object (weakly: a reload brings new ones), so
  // no label string is built per answer.
  const latencyChildren = new WeakMap<HostPort, Histogram.Internal<string>>();
  const errorChildren = new WeakMap<HostPort, Map<UpstreamErrorReason, Counter.Internal>>();
  let lastAnswerMs: number | null = null;
  const tcpClosed = new Counter({
    name: 'hradba_tcp_connections_closed_total',
    help: 'TCP connections closed by hradba itself: access (outside access.allow), client-limit, limit, shed, frame-timeout',
    labelNames: ['reason'],
    registers: [registry],
  });
  // Every reason exists from the start (an alert on a rate works before the first), bound once (no label hashing per close).
  const tcpClosedByReason = new Map<TcpCloseReason, Counter.Internal>();
  for (const reason of TCP_CLOSE_REASONS) tcpClosedByReason.set(reason, tcpClosed.labels(reason));
  for (const child of tcpClosedByReason.values()) child.inc(0);

  return {
    registry,
    query(outcome, transport, entry) {
      const counts = queryCounts[transport];
      counts[outcome] = (counts[outcome] ?? 0) + 1;
      if (entry !== undefined) {
        const list = entry.list;
        let c = sinkholeByList.get(list);
        if (c === undefined) {
          const key = `${list.vendor}\u0000${list.id}`;
          c = sinkholeCounts.get(key);
          if (c === undefined) {
            c = { vendor: list.vendor, list: list.id, n: 0 };
            sinkholeCounts.set(key, c);
          }
          sinkholeByList.set(list, c);
        }
        c.n++;
      }
    },
    upstream: {
      answered(upstream, seconds) {
        lastAnswerMs = Date.now();
        let child = latencyChildren.get(upstream);
        if (child === undefined) {
          child = upstreamSeconds.labels(hostPortLabel(upstream));
          latencyChildren.set(upstream, child);
        }
        child.observe(seconds);
      },
      failed(upstream, reason) {
        let byReason = errorChildren.get(upstream);
        if (byReason === undefined) {
          byReason = new Map();
          errorChildren.set(upstream, byReason);
        }
        let child = byReason.get(reason);
        if (child === undefined) {
          child = upstreamErrors.labels(hostPortLabel(upstream), reason);
          byReason.set(reason, child);
        }
        child.inc();
      },
    },
    policyLoaded(policy, reload) {
      if (reload) reloads.labels('ok').inc();
      lastGood.set(Date.now() / 1000);
      policyVersion.set(policy.version);
      // A list dropped by the reload must not keep reporting its old count.
      listEntries.reset();
      for (const l of policy.lists) listEntries.labels(l.id).set(l.entries);
    },
    reloadFailed() {
      reloads.labels('failed').inc();
    },
    inFlightFrom(read) {
      readInFlight = read;
    },
    lastUpstreamAnswerMs: () => lastAnswerMs,
    tcpClosed(reason) {
      tcpClosedByReason.get(reason)?.inc();
    },
  };
}
