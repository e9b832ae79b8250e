/** `hradba serve`: runs the resolver until SIGTERM/SIGINT, reloading on SIGHUP. */
import { deploymentWarnings } from '../config/deployment-warnings.js';
import { loadConfig } from '../config/load.js';
import { applyOverrides, type Overrides } from '../config/overrides.js';
import type { Config } from '../config/types.js';
import { startAdminServer, type AdminServer } from '../admin/admin-server.js';
import type { RouteDeps } from '../admin/routes.js';
import { serverReadiness, withLogSink, type ReadyState } from '../admin/readiness.js';
import { startSupervisor, workerCount } from '../cluster/supervisor.js';
import { HradbaError } from '../errors.js';
import { createMetrics } from '../metrics/metrics.js';
import { registerLogMetrics } from '../metrics/log-metrics.js';
import { createLogger, type AppLogger } from '../log/logger.js';
import { applyHeapSettings } from '../server/heap-settings.js';
import { problemsOf, startServer } from '../server/server.js';
import { EXIT } from './exit-codes.js';
import { packageVersion } from './version.js';

export interface ServeOptions {
  readonly config: string;
  readonly listen?: string[];
  readonly upstream?: string[];
  readonly admin?: string;
}

/** printProblems writes every problem on its own stderr line, ready for an editor or a log collector. */
function printProblems(headline: string, err: unknown): void {
  const lines = problemsOf(err);
  // One problem is one line (what an orchestrator shows as the reason); several get a line each below the headline.
  if (lines.length === 1) {
    process.stderr.write(`hradba: ${headline}: ${lines[0]}\n`);
    return;
  }
  process.stderr.write(`hradba: ${headline}\n`);
  for (const line of lines) process.stderr.write(`  ${line}\n`);
}

type RouteRegistry = RouteDeps['registry'];

/** What the signals act on: one serving thread, or the supervisor of several. */
interface Service {
  reload(force?: boolean): Promise<void>;
  flushCache(): unknown;
  shutdown(): Promise<void>;
}

/** serve starts the resolver and installs the signal handlers; it never returns while serving. */
export async function serve(opts: ServeOptions): Promise<void> {
  const overrides: Overrides = { listen: opts.listen, upstream: opts.upstream, admin: opts.admin };
  let config: Config;
  try {
    config = applyOverrides(await loadConfig(opts.config), overrides);
  } catch (err) {
    printProblems(`cannot start: invalid configuration ${opts.config}`, err);
    process.exit(err instanceof HradbaError && err.code === 'HRADBA_ERR_USAGE' ? EXIT.USAGE : EXIT.CONFIG);
  }

  // stdout and stderr may be one pipe whose reader went away: a failed write there is the log sink's to count,
  // never an unhandled 'error' event that ends the process.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});

  const threads = workerCount(config.workers);
  applyHeapSettings();
  let logger: AppLogger;
  try {
    logger = createLogger({ level: config.log.level, file: config.log.file, shared: threads > 1, maxBacklog: config.log.maxBacklog });
  } catch (err) {
    printProblems('cannot open the log', err);
    process.exit(EXIT.CONFIG);
  }
  const { log } = logger;
  // Before the first socket: the operator reads what clients will make of the config next to the start line.
  for (const w of deploymentWarnings(config)) log.warn({ event: 'config-warning', key: w.key }, w.message);

  // A bug that escapes every guard: record it, make sure the log reaches disk, and let the supervisor restart us.
  process.on('uncaughtException', (err) => {
    log.fatal({ err, event: 'crash' }, 'uncaught exception');
    logger.flushSync();
    process.exit(EXIT.SOFTWARE);
  });

  // Signal handlers go in before the first socket is bound: Node's default for SIGHUP is to terminate, so a
  // reload asked for right after the listening line must never find the process without them.
  let running: Service | null = null;
  let admin: AdminServer | null = null;
  let reloadWanted = false;
  let stopWanted: NodeJS.Signals | null = null;
  let stopping = false;

  const stop = (signal: NodeJS.Signals): void => {
    if (running === null) {
      stopWanted = signal;
      return;
    }
    if (stopping) return;
    stopping = true;
    // The whole stop, log included, fits in shutdown.grace (plus a moment to write the last lines): a log disk that
    // fails cannot hold the process.
    const logDeadline = Date.now() + config.shutdown.graceMs + 500;
    log.info({ event: 'shutdown-requested', signal }, `${signal}: finishing queries in progress`);
    const server = running;
    void (admin === null ? Promise.resolve() : admin.close())
      .then(() => server.shutdown())
      .catch((err: unknown) => log.error({ err }, 'error during shutdown'))
      .then(async () => {
        log.info({ event: 'shutdown' }, 'stopped');
        await logger.close(logDeadline);
      })
      .catch((err: unknown) => process.stderr.write(`hradba: closing the log failed: ${String(err)}\n`))
      .finally(() => process.exit(EXIT.OK));
  };
  process.on('SIGHUP', () => {
    if (running === null) {
      reloadWanted = true;
      return;
    }
    // SIGHUP is also logrotate's signal: the log file is opened again at its path first.
    logger.reopen();
    log.info({ event: 'reload-requested' }, 'SIGHUP: reloading config and lists');
    void running.reload();
  });
  // SIGUSR2: a forced reload, the operator's explicit "yes, this list really shrank" (skips the shrink guard).
  process.on('SIGUSR2', () => {
    if (running === null) return;
    log.warn({ event: 'reload-requested', forced: true }, 'SIGUSR2: forced reload (shrink guard off for this reload)');
    void running.reload(true);
  });
  // SIGUSR1 empties the answer cache (e.g. after an upstream served a wrong answer); the policy is untouched.
  process.on('SIGUSR1', () => {
    if (running !== null) running.flushCache();
  });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  try {
    let service: Service;
    let registry: RouteRegistry;
    let readiness: () => Promise<ReadyState>;
    if (threads > 1) {
      const supervisor = await startSupervisor({ configFile: opts.config, overrides, config, log, threads, packageVersion: packageVersion() });
      service = supervisor;
      registry = supervisor.registry;
      readiness = withLogSink(() => supervisor.readiness(), logger.stats);
    } else {
      const metrics = createMetrics({ version: packageVersion() });
      registerLogMetrics(metrics.registry, logger.stats);
      const server = await startServer({ configFile: opts.config, overrides, log, initialConfig: config, metrics });
      service = server;
      registry = metrics.registry;
      readiness = withLogSink(serverReadiness(server, metrics), logger.stats);
    }
    if (config.admin.enabled) {
      admin = await startAdminServer(config.admin.listen, { registry, readiness }).catch(async (err: unknown) => {
        // The DNS side is already bound: release it before exiting, so a restart finds the ports free.
        await service.shutdown();
        throw err;
      });
      log.info({ event: 'admin-listening', address: admin.description }, 'admin endpoint: /healthz /readyz /metrics');
    }
    // Only now do signals act on the server: one arriving while the admin endpoint binds waits for it.
    running = service;
  } catch (err) {
    const code = err instanceof HradbaError && err.code === 'HRADBA_ERR_LISTEN' ? EXIT.FAILURE : EXIT.CONFIG;
    log.fatal({ event: 'start-failed', errors: problemsOf(err) }, 'cannot start');
    await logger.close();
    printProblems('cannot start', err);
    process.exit(code);
  }
  // Signals that arrived while starting: a stop wins over a reload.
  if (stopWanted !== null) stop(stopWanted);
  else if (reloadWanted) {
    log.info({ event: 'reload-requested' }, 'SIGHUP during start: reloading config and lists');
    void running.reload();
  }
}
