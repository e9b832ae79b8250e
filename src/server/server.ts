/**
 * The running resolver: binds every listener on the loaded snapshot, swaps snapshots on reload, and drains
 * on shutdown. The policy is built before the first socket is bound, so no query is ever answered without it.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { newDeploymentWarnings } from '../config/deployment-warnings.js';
import { loadConfig } from '../config/load.js';
import { applyOverrides, type Overrides } from '../config/overrides.js';
import type { Config } from '../config/types.js';
import { HradbaError, formatLocated } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Listener } from '../net/types.js';
import { openListener } from './open-listener.js';
import type { Policy } from '../policy/policy.js';
import { InFlight, createQueryHandler } from './query-handler.js';
import { Reloader } from './reloader.js';
import { buildSnapshot, type Snapshot, type SnapshotOptions } from './snapshot.js';
import { createTcpRefusalLog } from './tcp-refusal-log.js';

export interface ServerOptions {
  readonly configFile: string;
  readonly overrides: Overrides;
  readonly log: Logger;
  /** The config already loaded by the caller (with overrides applied), to avoid reading it twice at start. */
  readonly initialConfig?: Config;
  /** Where query outcomes, upstream timings and reloads are counted (the admin endpoint serves them). */
  readonly metrics?: Metrics;
  /** The first policy, compiled elsewhere (by the supervisor of several serving threads); default: built here. */
  readonly initialPolicy?: Policy;
  /** Bind with SO_REUSEPORT, sharing each address with the other serving threads. */
  readonly reusePort?: boolean;
}

export interface RunningServer {
  readonly listeners: readonly Listener[];
  current(): Snapshot;
  /** reload re-reads config and lists; on any error the running snapshot stays in force. `force` skips the shrink guard. */
  reload(force?: boolean): Promise<void>;
  /** install swaps in a config and policy loaded elsewhere (the supervisor's reload), as one reload; `force` marks a forced one. */
  install(config: Config, policy: Policy, force?: boolean): Promise<void>;
  /** flushCache empties the answer cache (SIGUSR1) and returns how many entries were dropped. */
  flushCache(): number;
  /** shutdown stops accepting, lets in-flight queries finish (bounded by shutdown.grace) and closes upstreams. */
  shutdown(): Promise<void>;
}

/** How long after its last query a retired policy's memory is given back (away from the reload's own pauses). */
const RELEASE_DELAY_MS = 500;

/** listsSummary maps list id to entry count, the shape logged on start and on every reload. */
function listsSummary(snap: Snapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of snap.policy.lists) out[l.info.id] = l.entries;
  return out;
}

/** policyFacts is what the metrics report of a snapshot's policy. */
function policyFacts(snap: Snapshot): { version: number; lists: { id: string; entries: number }[] } {
  return { version: snap.version, lists: snap.policy.lists.map((l) => ({ id: l.info.id, entries: l.entries })) };
}

/** restartNeeded says whether `next` changes what is bound or opened once at start: listen, log.file or admin. */
export function restartNeeded(next: Config, running: Config): boolean {
  return (
    !isDeepStrictEqual(next.listen, running.listen) || next.log.file !== running.log.file || !isDeepStrictEqual(next.admin, running.admin)
  );
}

/** logReloadFailed writes the one line of a failed reload: every problem, and the version that stays in force. */
export function logReloadFailed(log: Logger, inForce: number, err: unknown, began: number): void {
  log.error(
    { event: 'reload', ok: false, policyVersion: inForce, errors: problemsOf(err), durationMs: Date.now() - began },
    `reload failed; policy version ${inForce} stays in force`,
  );
}

/** At most this many problem lines, and this many characters of them, go into one log line or one report. */
const MAX_PROBLEM_LINES = 90;
const MAX_PROBLEM_CHARS = 12 * 1024;

/** problemsOf lists an error's located problems as `file:line: message` lines, or its message; bounded (a log line stays under 16 KiB). */
export function problemsOf(err: unknown): string[] {
  const all = err instanceof HradbaError && err.problems.length > 0 ? err.problems.map(formatLocated) : [err instanceof Error ? err.message : String(err)];
  const out: string[] = [];
  let chars = 0;
  for (const line of all) {
    const shown = line.length > 1000 ? `${line.slice(0, 997)}...` : line;
    if (out.length >= MAX_PROBLEM_LINES || chars + shown.length > MAX_PROBLEM_CHARS) {
      out.push(`... and ${all.length - out.length} more problem(s)`);
      break;
    }
    out.push(shown);
    chars += shown.length;
  }
  return out;
}

/** logListProblems writes one line per list with problems: lines per reason and the first samples, never one line per problem. */
function logListProblems(log: Logger, snap: Snapshot): void {
  for (const l of snap.policy.lists) {
    if (l.problems.length === 0) continue;
    const r = l.report;
    log.warn(
      {
        event: 'list-problem',
        list: l.info.id,
        file: l.info.file,
        badLines: r?.badLines ?? 0,
        skippedLines: r?.skippedLines ?? 0,
        reasons: r?.reasons ?? {},
        problems: l.problems.map(formatLocated),
      },
      `list ${l.info.id}: ${l.problems.map(formatLocated)[0] ?? ''}`.slice(0, 300),
    );
  }
}

/** duplicatesSummary maps list id to its repeated entries, for the lists that have any. */
function duplicatesSummary(snap: Snapshot): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  for (const l of snap.policy.lists) if ((l.duplicates ?? 0) > 0) out[l.info.id] = l.duplicates ?? 0;
  return Object.keys(out).length === 0 ? undefined : out;
}

async function loadEffectiveConfig(opts: ServerOptions): Promise<Config> {
  return applyOverrides(await loadConfig(opts.configFile), opts.overrides);
}

/** startServer loads config and policy, binds every listener, and returns the running server. Throws on failure. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { log } = opts;
  const started = Date.now();
  const { metrics } = opts;
  const hooks: SnapshotOptions = {
    onHealth: (event, upstream, fails, lastError, suppressed) => {
      // suppressed: changes since the previous line that got none (the pool logs an upstream at most twice a minute).
      const flaps = suppressed > 0 ? { suppressed } : {};
      if (event === 'upstream-down') log.warn({ event, upstream: upstream.url, fails, error: lastError, ...flaps }, 'upstream marked down; probing it');
      else log.info({ event, upstream: upstream.url, ...flaps }, 'upstream answers again');
    },
    ...(metrics === undefined ? {} : { upstreamObserver: metrics.upstream }),
  };
  const firstVersion = opts.initialPolicy?.version ?? 1;
  const first = await buildSnapshot(opts.initialConfig ?? (await loadEffectiveConfig(opts)), firstVersion, undefined, {
    ...hooks,
    ...(opts.initialPolicy === undefined ? {} : { policy: opts.initialPolicy }),
  });
  let snap = first.snapshot;
  logListProblems(log, snap);
  const inFlight = new InFlight();
  const handler = createQueryHandler({
    current: () => snap,
    log,
    inFlight,
    ...(metrics === undefined ? {} : { observe: (outcome, remote, entry) => metrics.query(outcome, remote.transport, entry) }),
  });
  metrics?.inFlightFrom(() => inFlight.count);
  const onError = (err: Error): void => log.warn({ err }, 'socket error');

  const listeners: Listener[] = [];
  try {
    const listenerOpts = {
      handler,
      onError,
      tcp: snap.config.tcp,
      reusePort: opts.reusePort === true,
      // A TCP connection from outside the access list in force (the reloaded one) is closed at accept; the TCP
      // limits of a reload apply to the connections accepted after it.
      tcpLimits: () => snap.config.tcp,
      admit: (address: string) => snap.isAllowed(address),
      onTcpClosed: createTcpRefusalLog(log, metrics === undefined ? {} : { count: (reason) => metrics.tcpClosed(reason) }),
    };
    for (const address of snap.config.listen) {
      for (const kind of ['udp', 'tcp'] as const) listeners.push(await openListener(kind, address, listenerOpts));
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    await snap.forwarder.close();
    throw err;
  }

  log.info(
    {
      event: 'listening',
      listeners: listeners.map((l) => l.description),
      upstreams: snap.config.upstreams.map((u) => u.url),
      policyVersion: snap.version,
      lists: listsSummary(snap),
      ...(duplicatesSummary(snap) === undefined ? {} : { duplicates: duplicatesSummary(snap) }),
      durationMs: Date.now() - started,
    },
    'hradba is serving',
  );
  metrics?.policyLoaded(policyFacts(snap), false);

  /** A config and policy handed in by install(), taken by the next reload instead of reading the files. */
  let supplied: { config: Config; policy: Policy } | null = null;
  const reloadOnce = async (force: boolean): Promise<void> => {
    const given = supplied;
    supplied = null;
    const began = Date.now();
    const version = given?.policy.version ?? snap.version + 1;
    try {
      const config = given?.config ?? (await loadEffectiveConfig(opts));
      if (restartNeeded(config, snap.config)) {
        log.warn({ event: 'reload-restart-needed' }, "'listen', 'log.file' and 'admin' changes take effect at the next restart");
      }
      const { snapshot, retired } = await buildSnapshot(config, version, snap, { ...hooks, force, ...(given === null ? {} : { policy: given.policy }) });
      const retiredPolicy = snap.policy;
      // A serving thread of several installs what the supervisor read (and warned about) already.
      if (given === null) for (const w of newDeploymentWarnings(config, snap.config)) log.warn({ event: 'config-warning', key: w.key }, w.message);
      snap = snapshot;
      metrics?.policyLoaded(policyFacts(snap), true);
      log.level = config.log.level;
      logListProblems(log, snap);
      for (const k of snap.policy.kept) {
        log.error(
          { event: 'list-kept', list: k.id, file: k.file, errors: k.errors, policyVersion: snap.version },
          `mandatory list ${k.id} failed to reload; its previous version stays in force`,
        );
      }
      log.info(
        {
          event: 'reload',
          ok: true,
          policyVersion: snap.version,
          lists: listsSummary(snap),
          ...(duplicatesSummary(snap) === undefined ? {} : { duplicates: duplicatesSummary(snap) }),
          entries: snap.policy.entryCount,
          durationMs: Date.now() - began,
          ...(force ? { forced: true } : {}),
          ...(snap.policy.kept.length > 0 ? { kept: snap.policy.kept.map((k) => k.id) } : {}),
        },
        'reloaded',
      );
      // Queries already handed to a retired forwarder finish on it before it closes.
      if (retired.length > 0) {
        void inFlight.idle(config.forward.deadlineMs + 1000).then(() => Promise.all(retired.map((f) => f.close())));
      }
      // Once the queries begun on the old snapshot are done (none outlives the forwarding deadline), its policy's
      // arrays are freed at once: two reloads in a row never hold three policies while waiting for a collection.
      // The pause is kept apart from the builder thread's exit, which also costs this thread a few ms.
      void inFlight
        .idle(config.forward.deadlineMs + 1000)
        .then(() => new Promise((later) => setTimeout(later, RELEASE_DELAY_MS)))
        .then(() => retiredPolicy.release())
        // Memory left to the collector is no reason to stop serving.
        .catch((err: unknown) => log.warn({ err, policyVersion: retiredPolicy.version }, 'retired policy not released; the garbage collector will free it'));
    } catch (err) {
      metrics?.reloadFailed();
      logReloadFailed(log, snap.version, err, began);
    }
  };
  const reloader = new Reloader(reloadOnce);

  return {
    listeners,
    current: () => snap,
    reload: (force = false) => reloader.request(force),
    install: (config, policy, force = false) => {
      // A later install replaces one still waiting: only the newest policy matters.
      supplied = { config, policy };
      return reloader.request(force);
    },
    flushCache: () => {
      const entries = snap.stage.flush();
      log.info({ event: 'cache-flush', entries }, 'cache flushed');
      return entries;
    },
    shutdown: async () => {
      await reloader.settled();
      await Promise.all(listeners.map((l) => Promise.race([l.close(), inFlight.idle(snap.config.shutdown.graceMs)])));
      await inFlight.idle(snap.config.shutdown.graceMs);
      await Promise.all([...new Set([snap.forwarder, ...snap.router.pools])].map((f) => f.close()));
    },
  };
}
