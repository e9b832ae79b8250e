/** The process's root logger: pino writing JSON lines to stdout or an append-only file through the log sink (bounded backlog, rotation, fault accounting), with flush and close so no line is lost unnoticed at exit. */

import { write } from 'node:fs';
import pino from 'pino';
import { HradbaError } from '../errors.js';
import { LogSink, type LogSinkStats, type SinkEvent } from './log-sink.js';

/**
 * The root logger and the controls over its destination.
 *
 * How the server must use it so nothing is lost at exit:
 * - Orderly exit (SIGTERM drain, `check`/`report` commands): log the last line, then
 *   `await close(deadline)`, then exit. close() waits until every buffered line is written, fsynced
 *   and the file closed, or the deadline passes (what is left is counted as dropped and reported).
 * - Paths that cannot await (a fatal `uncaughtException` handler right before `process.exit(1)`):
 *   call `flushSync()`, which writes what is not yet in flight, once, without retrying.
 */
export interface AppLogger {
  readonly log: pino.Logger;
  /** Resolves once every line logged so far has been handed to the kernel (rejects when that does not happen within 10 s). */
  flush(): Promise<void>;
  /** Writes every buffered line synchronously; for exit paths that cannot await. Never throws. */
  flushSync(): void;
  /** Flushes, fsyncs and closes the destination (stdout itself is left open) by `deadlineMs` (a Date.now() time; default 10 s from now); later log calls are no-ops. */
  close(deadlineMs?: number): Promise<void>;
  /** Opens the log file again at its path (SIGHUP after logrotate moved it). */
  reopen(): void;
  /** The sink's counters and fault state, for /metrics and /readyz. */
  stats(): LogSinkStats;
}

export interface LoggerOptions {
  /** pino level name: fatal, error, warn, info, debug, trace or silent. */
  readonly level: string;
  /** Log file (appended to, directory created), or null for stdout. */
  readonly file: string | null;
  /** Most lines held in memory while the destination lags or fails (log.maxBacklog); default DEFAULT_MAX_BACKLOG. */
  readonly maxBacklog?: number;
  /** Where reports about the log itself go when the log cannot carry them; default: stderr. Never throws. */
  readonly onError?: (text: string) => void;
  /**
   * Several threads write this destination: every write must hold whole lines and, to a pipe, at most PIPE_BUF
   * bytes (which the kernel writes in one piece), so lines of different threads never interleave.
   */
  readonly shared?: boolean;
  /** Fields on every line (e.g. the serving thread's number). */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/** The backlog bound when the config gives none: about 40 MB of sinkhole lines. */
export const DEFAULT_MAX_BACKLOG = 100_000;
/** Linux's PIPE_BUF: a write of at most this many bytes to a pipe is never split or interleaved. */
const PIPE_BUF = 4096;
/** The most one write call carries otherwise. */
const MAX_WRITE = 65_536;
/** close() without a deadline. */
const DEFAULT_CLOSE_MS = 10_000;

/** createLogger opens the destination synchronously (so a bad path fails at startup) and returns the root logger; throws HradbaError('HRADBA_ERR_LOG'). */
export function createLogger(opts: LoggerOptions): AppLogger {
  if (opts.level !== 'silent' && pino.levels.values[opts.level] === undefined) {
    throw new HradbaError('HRADBA_ERR_LOG', `unknown log level '${opts.level}' (use one of: ${Object.keys(pino.levels.values).join(', ')}, silent)`);
  }
  const report = opts.onError ?? writeToStderr;
  const maxBacklog = opts.maxBacklog ?? DEFAULT_MAX_BACKLOG;
  // Set once pino exists: the sink's reports that the log itself can carry go through it.
  let log: pino.Logger | null = null;

  const onEvent = (ev: SinkEvent): void => {
    switch (ev.kind) {
      case 'fault':
        report(
          ev.permanent
            ? `hradba: writing the log failed: ${ev.message}; the destination is gone, every later line is dropped and counted (hradba_log_dropped_total)\n`
            : `hradba: writing the log failed: ${ev.message}; holding up to ${maxBacklog} lines and retrying (later lines beyond that are dropped and counted)\n`,
        );
        return;
      case 'dropped': {
        const since = new Date(ev.sinceMs).toISOString();
        const text = `${ev.count} log lines dropped since ${since} (${ev.reason}; ${ev.total} in all)`;
        if (ev.logWorks && log !== null) log.warn({ event: 'log-dropped', dropped: ev.count, droppedTotal: ev.total, reason: ev.reason, since }, text);
        else report(`hradba: ${text}\n`);
        return;
      }
      case 'recovered':
        log?.warn({ event: 'log-recovered', fault: ev.code, faultMs: ev.faultMs }, `writing the log works again after ${ev.code}`);
        return;
      case 'reopened':
        log?.info({ event: 'log-reopened', reason: ev.reason, file: opts.file }, `log file opened again (${ev.reason})`);
        return;
      case 'reopen-failed':
        report(`hradba: cannot open the log file again (${ev.reason}): ${ev.message}; still writing to the file opened before\n`);
        return;
    }
  };

  let sink: LogSink;
  try {
    // Whole lines per write; to a pipe several threads share, at most PIPE_BUF bytes per write.
    sink = new LogSink({ file: opts.file, maxBacklog, maxWrite: opts.shared === true ? PIPE_BUF : MAX_WRITE, onEvent });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new HradbaError('HRADBA_ERR_LOG', `cannot open log file ${opts.file ?? 'stdout'}: ${reason}`, { cause: err });
  }

  const root = pino(
    {
      level: opts.level,
      // pid tells apart several processes writing one file; hostname is left out (one host, and it
      // would be repeated on every line).
      base: { pid: process.pid, ...opts.fields },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    sink,
  );
  log = root;

  let closing: Promise<void> | null = null;

  return {
    log: root,

    async flush(): Promise<void> {
      if (closing !== null) return closing;
      if (!(await sink.flush())) {
        const s = sink.stats();
        throw new HradbaError('HRADBA_ERR_LOG', `flushing the log: ${s.backlog} lines still unwritten (${s.fault ?? 'slow destination'})`);
      }
    },

    flushSync(): void {
      if (closing !== null) return;
      sink.flushSync();
    },

    close(deadlineMs = Date.now() + DEFAULT_CLOSE_MS): Promise<void> {
      // Lines already logged are written by close(); anything logged from now on is a no-op.
      root.level = 'silent';
      // The sink's last report (lines it could not write by the deadline) must reach stderr before the exit.
      closing ??= sink.close(deadlineMs).then(() => stderrDrained(STDERR_DRAIN_MS));
      return closing;
    },

    reopen: () => sink.reopen('SIGHUP'),
    stats: () => sink.stats(),
  };
}

/** Reports waiting for stderr: a few, in order; stderr may be the same dead or stalled pipe as the log, so nothing waits on it and nothing throws. */
const stderrQueue: string[] = [];
const STDERR_QUEUE_MAX = 16;
let stderrBusy = false;
let stderrIdle: (() => void) | null = null;
/** How long close() waits for its reports to reach stderr (a stalled stderr must not hold the exit). */
const STDERR_DRAIN_MS = 250;
function stderrDrained(ms: number): Promise<void> {
  if (!stderrBusy) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    stderrIdle = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}
function writeToStderr(text: string): void {
  if (stderrQueue.length >= STDERR_QUEUE_MAX) return;
  stderrQueue.push(text);
  if (!stderrBusy) nextStderr();
}
function nextStderr(): void {
  const text = stderrQueue.shift();
  if (text === undefined) {
    stderrBusy = false;
    const idle = stderrIdle;
    stderrIdle = null;
    idle?.();
    return;
  }
  stderrBusy = true;
  write(2, text, nextStderr);
}
