/** The process's root logger: pino writing JSON lines asynchronously to stdout or an append-only file, with flush and close so no line is lost at exit. */

import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import { HradbaError } from '../errors.js';
import { LineBatcher } from './line-batcher.js';

/**
 * The root logger and the controls over its destination.
 *
 * How the server must use it so nothing is lost at exit:
 * - Orderly exit (SIGTERM drain, `check`/`report` commands): log the last line, then
 *   `await close()`, then exit. close() waits until every buffered line is written, fsynced
 *   and the file closed.
 * - Paths that cannot await (a `process.on('exit')` hook, a fatal `uncaughtException` handler
 *   right before `process.exit(1)`): call `flushSync()`. pino also registers a flushSync on the
 *   process 'exit' event for this destination, so a plain `process.exit()` does not lose buffered
 *   lines either; a signal with no handler (or SIGKILL) skips 'exit', so the server must handle
 *   SIGTERM/SIGINT itself and leave through one of the two paths above.
 * - flushSync() cannot wait for a write already handed to libuv, so prefer `await flush()`
 *   or `await close()` wherever an await is possible.
 */
export interface AppLogger {
  readonly log: pino.Logger;
  /** Resolves once every line logged so far has been handed to the kernel (rejects on a write error). */
  flush(): Promise<void>;
  /** Writes every buffered line synchronously; for exit paths that cannot await. Never throws. */
  flushSync(): void;
  /** Flushes, fsyncs and closes the destination (stdout itself is left open); later log calls are no-ops. */
  close(): Promise<void>;
}

export interface LoggerOptions {
  /** pino level name: fatal, error, warn, info, debug, trace or silent. */
  readonly level: string;
  /** Log file (appended to, directory created), or null for stdout. */
  readonly file: string | null;
  /** Called when a write to the destination fails; default: one line on stderr. Logging failures never stop the server. */
  readonly onError?: (err: Error) => void;
  /**
   * Several threads write this destination: every write must hold whole lines and, to a pipe, at most PIPE_BUF
   * bytes (which the kernel writes in one piece), so lines of different threads never interleave.
   */
  readonly shared?: boolean;
  /** Fields on every line (e.g. the serving thread's number). */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/** Linux's PIPE_BUF: a write of at most this many bytes to a pipe is never split or interleaved. */
const PIPE_BUF = 4096;
/** The most one write call carries otherwise (sonic-boom's default). */
const MAX_WRITE = 16_384;

/** createLogger opens the destination synchronously (so a bad path fails at startup) and returns the root logger; throws HradbaError('HRADBA_ERR_LOG'). */
export function createLogger(opts: LoggerOptions): AppLogger {
  if (opts.level !== 'silent' && pino.levels.values[opts.level] === undefined) {
    throw new HradbaError('HRADBA_ERR_LOG', `unknown log level '${opts.level}' (use one of: ${Object.keys(pino.levels.values).join(', ')}, silent)`);
  }
  const fd = opts.file === null ? 1 : openLogFile(opts.file);

  // sync: false keeps disk latency (and a stalled stdout pipe) off the query path: writes run on libuv's thread
  // pool. minLength: 0 sends lines to the kernel as soon as no write is in flight; what arrives while one is in
  // flight is coalesced into the next (up to maxWrite). A larger minLength would batch more, but would hold
  // evidence in memory for as long as traffic is low, where a crash would lose it. Each write holds whole lines.
  const maxWrite = opts.shared === true ? PIPE_BUF : MAX_WRITE;
  const dest = pino.destination({ dest: fd, sync: false, minLength: 0, maxWrite });
  // Lines of one event-loop turn go to the destination as one write call (see line-batcher.ts).
  const batcher = new LineBatcher(dest, maxWrite);

  const report = opts.onError ?? writeErrorToStderr;
  let lastError: unknown = null;
  // pino re-emits a destination error once after its own EPIPE filter; report each error once.
  dest.on('error', (err: Error) => {
    if (err === lastError) return;
    lastError = err;
    report(err);
  });

  const log = pino(
    {
      level: opts.level,
      // pid tells apart several processes writing one file; hostname is left out (one host, and it
      // would be repeated on every line).
      base: { pid: process.pid, ...opts.fields },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    batcher,
  );

  let closing: Promise<void> | null = null;

  return {
    log,

    flush(): Promise<void> {
      if (closing !== null) return closing;
      return new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          dest.off('error', onError);
          resolve();
        };
        const onError = (err: Error): void => {
          dest.off('drain', onDrain);
          reject(new HradbaError('HRADBA_ERR_LOG', `flushing the log: ${err.message}`, { cause: err }));
        };
        dest.once('drain', onDrain);
        dest.once('error', onError);
        batcher.flush();
        // With minLength 0 SonicBoom emits 'drain' only when its buffer is empty. An empty write
        // queues behind every pending line (or starts a no-op write when idle), so the next
        // 'drain' means every line logged before this call has been written. SonicBoom's own
        // flush(cb) does nothing with minLength 0.
        dest.write('');
      });
    },

    flushSync(): void {
      if (closing !== null) return;
      try {
        batcher.flush();
        dest.flushSync();
      } catch (err) {
        report(err instanceof Error ? err : new Error(String(err)));
      }
    },

    close(): Promise<void> {
      closing ??= new Promise<void>((resolve, reject) => {
        const onClose = (): void => {
          dest.off('error', onError);
          resolve();
        };
        const onError = (err: Error): void => {
          dest.off('close', onClose);
          reject(new HradbaError('HRADBA_ERR_LOG', `closing the log: ${err.message}`, { cause: err }));
        };
        dest.once('close', onClose);
        dest.once('error', onError);
        // Lines already logged stay in the buffer and end() writes them; anything logged from now
        // on would hit a destroyed stream and throw into the caller, so logging becomes a no-op.
        log.level = 'silent';
        batcher.flush();
        dest.end();
      });
      return closing;
    },
  };
}

/** Opens (creating directories and file as needed) the log file for appending; throws HradbaError('HRADBA_ERR_LOG'). */
function openLogFile(file: string): number {
  try {
    mkdirSync(dirname(file), { recursive: true });
    // 0o640: the lines name client addresses, so other local users should not read them.
    return openSync(file, 'a', 0o640);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new HradbaError('HRADBA_ERR_LOG', `cannot open log file ${file}: ${reason}`, { cause: err });
  }
}

function writeErrorToStderr(err: Error): void {
  process.stderr.write(`hradba: writing the log failed: ${err.message}\n`);
}
