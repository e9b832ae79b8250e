/**
 * Entry of one serving thread: binds the listen addresses with SO_REUSEPORT beside its siblings and answers its share
 * of the queries on the policy the supervisor compiled once. It reads no file: config and policy come in messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serverReadiness, withLogSink } from '../admin/readiness.js';
import { HradbaError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { createMetrics } from '../metrics/metrics.js';
import { registerLogMetrics } from '../metrics/log-metrics.js';
import { policyFromData } from '../policy/compiled-policy.js';
import { problemsOf, startServer } from '../server/server.js';
import type { FromThread, ThreadStart, ToThread } from './messages.js';

const port = parentPort;
if (port === null) throw new Error('serving-thread.js runs as a worker thread of `hradba serve`');
const start = workerData as ThreadStart;
const say = (msg: FromThread): void => port.postMessage(msg);

// The supervisor checked the log destination before starting any thread, so this open does not fail on a bad path.
const logger = createLogger({ level: start.config.log.level, file: start.config.log.file, shared: true, maxBacklog: start.config.log.maxBacklog, fields: { worker: start.index } });
const { log } = logger;

// A bug that escapes every guard ends this thread only: its lines reach the log, the supervisor starts a new one.
process.on('uncaughtException', (err) => {
  log.fatal({ err, event: 'crash' }, 'uncaught exception in a serving thread');
  logger.flushSync();
  process.exit(70);
});

// Process metrics (CPU, memory) belong to the whole process: the supervisor reports them once.
const metrics = createMetrics({ version: start.packageVersion, defaultMetrics: false });
registerLogMetrics(metrics.registry, logger.stats);

try {
  const server = await startServer({
    configFile: start.configFile,
    overrides: start.overrides,
    log,
    initialConfig: start.config,
    initialPolicy: policyFromData(start.policy, start.version),
    metrics,
    reusePort: true,
  });
  const readiness = withLogSink(serverReadiness(server, metrics), logger.stats);
  port.on('message', (msg: ToThread) => {
    switch (msg.type) {
      case 'install':
        // A reload follows SIGHUP, logrotate's signal: this thread's log file is opened again too.
        logger.reopen();
        void server.install(msg.config, policyFromData(msg.policy, msg.version), msg.force).then(() => say({ type: 'installed', version: server.current().version }));
        return;
      case 'reload-failed':
        logger.reopen();
        metrics.reloadFailed();
        return;
      case 'flush-cache':
        server.flushCache();
        return;
      case 'metrics':
        void metrics.registry.getMetricsAsJSON().then((json) => say({ type: 'metrics', id: msg.id, metrics: json }));
        return;
      case 'readiness':
        void readiness().then((state) => say({ type: 'readiness', id: msg.id, state }));
        return;
      case 'shutdown': {
        const logDeadline = Date.now() + server.current().config.shutdown.graceMs + 500;
        void server
          .shutdown()
          .catch((err: unknown) => log.error({ err }, 'error during shutdown'))
          .then(() => logger.close(logDeadline))
          .finally(() => {
            say({ type: 'stopped' });
            port.close();
          });
        return;
      }
    }
  });
  say({ type: 'listening' });
} catch (err) {
  log.fatal({ event: 'start-failed', errors: problemsOf(err) }, 'cannot start');
  await logger.close();
  say({ type: 'start-failed', listen: err instanceof HradbaError && err.code === 'HRADBA_ERR_LISTEN', errors: problemsOf(err) });
  port.close();
}
