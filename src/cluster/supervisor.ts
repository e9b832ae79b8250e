/**
 * Several serving threads on one process: the supervisor (the main thread) compiles the policy once into shared
 * memory, starts the threads (each binds every listen address with SO_REUSEPORT, so the kernel spreads queries over
 * them), passes reloads and signals on, sums their metrics, and restarts a thread that dies. It answers no query.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { AggregatorRegistry, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ReadyState } from '../admin/readiness.js';
import { newDeploymentWarnings } from '../config/deployment-warnings.js';
import { loadConfig } from '../config/load.js';
import { applyOverrides, type Overrides } from '../config/overrides.js';
import type { Config, HostPort } from '../config/types.js';
import { HradbaError } from '../errors.js';
import { buildPolicyDataInWorker } from '../policy/build-in-worker.js';
import type { PolicyData } from '../policy/compiled-policy.js';
import { THREAD_YOUNG_GENERATION_MB } from '../server/heap-settings.js';
import { openListener } from '../server/open-listener.js';
import { Reloader } from '../server/reloader.js';
import { logReloadFailed, problemsOf, restartNeeded } from '../server/server.js';
import type { FromThread, MetricsJson, ThreadStart, ToThread } from './messages.js';

const THREAD_SCRIPT = new URL('./serving-thread.js', import.meta.url);

/** A thread that dies is started again; this many deaths within CRASH_WINDOW_MS end the process instead. */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;
/** Bound on a thread's answer to a metrics or readiness question. */
const ASK_TIMEOUT_MS = 5_000;

/** workerCount resolves the `workers` setting: 'auto' is one serving thread per core. */
export function workerCount(setting: number | 'auto'): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

/**
 * threadConfig is the config one of `n` threads runs: concrete listen ports (port 0 resolved once, so all threads
 * share it) and an equal share of the cache, so all threads together hold what `cache` allows.
 */
export function threadConfig(config: Config, listen: readonly HostPort[], n: number): Config {
  return {
    ...config,
    listen,
    cache: {
      ...config.cache,
      maxEntries: Math.max(1, Math.ceil(config.cache.maxEntries / n)),
      maxBytes: Math.max(65_536, Math.floor(config.cache.maxBytes / n)),
    },
  };
}

/**
 * checkAddresses binds every listen address alone (no SO_REUSEPORT) and lets it go again: an address another process
 * holds fails here with the usual clear error, where a shared bind could otherwise join it. Port 0 becomes the port
 * the kernel picked.
 */
async function checkAddresses(listen: readonly HostPort[]): Promise<HostPort[]> {
  const out: HostPort[] = [];
  const alone = { handler: (): null => null, onError: (): void => {}, tcp: { idleTimeoutMs: 1_000, maxConnections: 1, maxPipelined: 1 }, reusePort: false };
  for (const address of listen) {
    let port = address.port;
    for (const kind of ['udp', 'tcp'] as const) {
      const l = await openListener(kind, { host: address.host, port }, alone);
      port = l.port;
      await l.close();
    }
    out.push({ host: address.host, port });
  }
  return out;
}

export interface SupervisorOptions {
  readonly configFile: string;
  readonly overrides: Overrides;
  /** The config as loaded at start (overrides applied). */
  readonly config: Config;
  readonly log: Logger;
  readonly threads: number;
  readonly packageVersion: string;
}

export interface Supervisor {
  reload(force?: boolean): Promise<void>;
  flushCache(): void;
  shutdown(): Promise<void>;
  /** The serving threads' metrics summed, with the process's own (CPU, memory) once. */
  readonly registry: Pick<Registry, 'metrics' | 'contentType'>;
  /** Ready when every serving thread is. */
  readiness(): Promise<ReadyState>;
}

/** One serving thread and its pending questions. */
interface Thread {
  readonly index: number;
  readonly worker: Worker;
  readonly waiting: Map<number, (msg: FromThread) => void>;
  stopping: boolean;
}

/** startSupervisor compiles the policy, starts every serving thread, and resolves once all of them listen. */
export async function startSupervisor(opts: SupervisorOptions): Promise<Supervisor> {
  const { log, threads: n } = opts;
  const began = Date.now();
  let config = opts.config;
  const listen = await checkAddresses(config.listen);
  let version = 1;
  let data: PolicyData = await buildPolicyDataInWorker(config.lists, config.maxBadLines, { shared: true, shrinkGuard: config.shrinkGuard });
  let stopping = false;
  let nextId = 1;
  const crashes: number[] = [];

  const startOf = (index: number): ThreadStart => ({
    index,
    configFile: opts.configFile,
    overrides: opts.overrides,
    config: threadConfig(config, listen, n),
    policy: data,
    version,
    packageVersion: opts.packageVersion,
  });

  /** spawn starts thread `index` and resolves once it listens; rejects with its start errors. */
  const spawn = (index: number): Promise<Thread> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(THREAD_SCRIPT, { workerData: startOf(index), resourceLimits: { maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB } });
      const thread: Thread = { index, worker, waiting: new Map(), stopping: false };
      let started = false;
      worker.on('message', (msg: FromThread) => {
        if (msg.type === 'listening') {
          started = true;
          resolve(thread);
        } else if (msg.type === 'start-failed') {
          reject(new HradbaError(msg.listen ? 'HRADBA_ERR_LISTEN' : 'HRADBA_ERR_CONFIG', msg.errors.join('; ')));
        } else if (msg.type === 'metrics' || msg.type === 'readiness') {
          thread.waiting.get(msg.id)?.(msg);
        }
      });
      worker.on('error', (err) => log.error({ err, worker: index }, 'serving thread failed'));
      worker.on('exit', (code) => {
        for (const answer of thread.waiting.values()) answer({ type: 'stopped' });
        thread.waiting.clear();
        if (!started) {
          reject(new Error(`serving thread ${index} exited with code ${code} before listening`));
          return;
        }
        if (stopping || thread.stopping) return;
        onCrash(thread, code);
      });
    });

  const all: Thread[] = [];
  const onCrash = (thread: Thread, code: number): void => {
    const now = Date.now();
    crashes.push(now);
    while (crashes.length > 0 && (crashes[0] ?? now) < now - CRASH_WINDOW_MS) crashes.shift();
    if (crashes.length > MAX_CRASHES) {
      log.fatal({ event: 'worker-crash-loop', worker: thread.index, crashes: crashes.length }, 'serving threads keep dying; exiting so the supervisor of this process restarts it');
      process.exit(70);
    }
    log.error({ event: 'worker-exit', worker: thread.index, code }, `serving thread ${thread.index} exited; starting it again`);
    spawn(thread.index).then(
      (fresh) => {
        const at = all.indexOf(thread);
        if (at >= 0) all[at] = fresh;
        if (stopping) void fresh.worker.terminate();
        log.info({ event: 'worker-restarted', worker: thread.index, policyVersion: version }, `serving thread ${thread.index} serves again`);
      },
      (err: unknown) => log.error({ event: 'worker-restart-failed', worker: thread.index, errors: problemsOf(err) }, 'serving thread did not start again'),
    );
  };

  const tell = (msg: ToThread): void => {
    for (const t of all) t.worker.postMessage(msg);
  };

  /** ask puts one question to every thread and collects the answers (a thread that does not answer in time counts as silent). */
  const ask = <T extends FromThread>(type: 'metrics' | 'readiness'): Promise<Array<T | null>> =>
    Promise.all(
      all.map(
        (t) =>
          new Promise<T | null>((resolve) => {
            const id = nextId++;
            const timer = setTimeout(() => {
              t.waiting.delete(id);
              resolve(null);
            }, ASK_TIMEOUT_MS);
            t.waiting.set(id, (msg) => {
              clearTimeout(timer);
              t.waiting.delete(id);
              resolve(msg.type === type ? (msg as T) : null);
            });
            t.worker.postMessage({ type, id } satisfies ToThread);
          }),
      ),
    );

  try {
    // Started one after another: the first bind shows a problem once, not once per thread.
    for (let i = 1; i <= n; i++) all.push(await spawn(i));
  } catch (err) {
    stopping = true;
    await Promise.all(all.map((t) => t.worker.terminate()));
    throw err;
  }
  log.info(
    { event: 'workers-listening', workers: n, listeners: listen.map((a) => `${a.host}:${a.port}`), policyVersion: version, durationMs: Date.now() - began },
    `hradba is serving with ${n} threads`,
  );

  // Reloads: compiled once here, installed in every thread.
  const reloadOnce = async (force: boolean): Promise<void> => {
    const start = Date.now();
    try {
      const next = applyOverrides(await loadConfig(opts.configFile), opts.overrides);
      // The threads run on the addresses bound at start, so only this thread can tell that the file asks for others.
      if (workerCount(next.workers) !== n || restartNeeded(next, opts.config)) {
        log.warn({ event: 'reload-restart-needed' }, "'listen', 'log.file', 'admin' and 'workers' changes take effect at the next restart");
      }
      const prev = { version, lists: data.lists };
      const built = await buildPolicyDataInWorker(next.lists, next.maxBadLines, { shared: true, prev, shrinkGuard: next.shrinkGuard, force });
      for (const w of newDeploymentWarnings(next, config)) log.warn({ event: 'config-warning', key: w.key }, w.message);
      config = next;
      data = built;
      version++;
      log.level = config.log.level;
      tell({ type: 'install', config: threadConfig(config, listen, n), policy: data, version, force });
      log.info({ event: 'reload-compiled', policyVersion: version, durationMs: Date.now() - start, workers: n }, 'policy compiled; installing in every serving thread');
    } catch (err) {
      tell({ type: 'reload-failed' });
      logReloadFailed(log, version, err, start);
    }
  };
  const reloader = new Reloader(reloadOnce);

  const own = new Registry();
  collectDefaultMetrics({ register: own, prefix: 'hradba_' });
  new Gauge({ name: 'hradba_workers', help: 'Serving threads', registers: [own] }).set(n);

  return {
    reload: (force = false) => reloader.request(force),
    flushCache: () => tell({ type: 'flush-cache' }),
    shutdown: async () => {
      await reloader.settled();
      stopping = true;
      const grace = config.shutdown.graceMs + 2_000;
      await Promise.all(
        all.map(
          (t) =>
            new Promise<void>((done) => {
              t.stopping = true;
              const timer = setTimeout(() => void t.worker.terminate(), grace);
              t.worker.once('exit', () => {
                clearTimeout(timer);
                done();
              });
              t.worker.postMessage({ type: 'shutdown' } satisfies ToThread);
            }),
        ),
      );
    },
    registry: {
      contentType: own.contentType,
      metrics: async () => {
        const answers = await ask<Extract<FromThread, { type: 'metrics' }>>('metrics');
        const parts: MetricsJson[] = answers.flatMap((a) => (a === null ? [] : [a.metrics]));
        parts.push(await own.getMetricsAsJSON());
        return AggregatorRegistry.aggregate(parts).metrics();
      },
    },
    readiness: async () => {
      const answers = await ask<Extract<FromThread, { type: 'readiness' }>>('readiness');
      const notReady = answers.findIndex((a) => a === null || !a.state.ready);
      if (notReady < 0) return { ready: true, reason: `all ${n} serving threads ready` };
      const a = answers[notReady];
      return { ready: false, reason: `serving thread ${notReady + 1}: ${a === null || a === undefined ? 'no answer' : a.state.reason}` };
    },
  };
}
