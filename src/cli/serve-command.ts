/** `hradba serve`: runs the resolver until SIGTERM/SIGINT, reloading on SIGHUP. */
import { loadConfig } from '../config/load.js';
import { applyOverrides, type Overrides } from '../config/overrides.js';
import type { Config } from '../config/types.js';
import { HradbaError } from '../errors.js';
import { createLogger, type AppLogger } from '../log/logger.js';
import { problemsOf, startServer } from '../server/server.js';
import { EXIT } from './exit-codes.js';

export interface ServeOptions {
  readonly config: string;
  readonly listen?: string[];
  readonly upstream?: string[];
}

/** printProblems writes every problem on its own stderr line, ready for an editor or a log collector. */
function printProblems(headline: string, err: unknown): void {
  process.stderr.write(`hradba: ${headline}\n`);
  for (const line of problemsOf(err)) process.stderr.write(`  ${line}\n`);
}

/** serve starts the resolver and installs the signal handlers; it never returns while serving. */
export async function serve(opts: ServeOptions): Promise<void> {
  const overrides: Overrides = { listen: opts.listen, upstream: opts.upstream };
  let config: Config;
  try {
    config = applyOverrides(await loadConfig(opts.config), overrides);
  } catch (err) {
    printProblems(`cannot start: invalid configuration ${opts.config}`, err);
    process.exit(err instanceof HradbaError && err.code === 'HRADBA_ERR_USAGE' ? EXIT.USAGE : EXIT.CONFIG);
  }

  let logger: AppLogger;
  try {
    logger = createLogger({ level: config.log.level, file: config.log.file });
  } catch (err) {
    printProblems('cannot open the log', err);
    process.exit(EXIT.CONFIG);
  }
  const { log } = logger;

  // A bug that escapes every guard: record it, make sure the log reaches disk, and let the supervisor restart us.
  process.on('uncaughtException', (err) => {
    log.fatal({ err, event: 'crash' }, 'uncaught exception');
    logger.flushSync();
    process.exit(EXIT.SOFTWARE);
  });

  let server;
  try {
    server = await startServer({ configFile: opts.config, overrides, log, initialConfig: config });
  } catch (err) {
    const code = err instanceof HradbaError && err.code === 'HRADBA_ERR_LISTEN' ? EXIT.FAILURE : EXIT.CONFIG;
    log.fatal({ event: 'start-failed', errors: problemsOf(err) }, 'cannot start');
    await logger.flush();
    printProblems('cannot start', err);
    process.exit(code);
  }
  const running = server;

  process.on('SIGHUP', () => {
    log.info({ event: 'reload-requested' }, 'SIGHUP: reloading config and lists');
    void running.reload();
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'shutdown-requested', signal }, `${signal}: finishing queries in progress`);
    void running
      .shutdown()
      .catch((err: unknown) => log.error({ err }, 'error during shutdown'))
      .then(async () => {
        log.info({ event: 'shutdown' }, 'stopped');
        await logger.close();
      })
      .catch((err: unknown) => process.stderr.write(`hradba: closing the log failed: ${String(err)}\n`))
      .finally(() => process.exit(EXIT.OK));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
