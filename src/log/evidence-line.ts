/**
 * Evidence lines written straight into the log sink: the same JSON a pino info line would be (level, time, the
 * logger's bindings, the fields, msg, in that order), built with template strings from fragments that are
 * serialised once (per list, per entry, per client identity) instead of one object walk per line.
 */
import pino, { type Logger } from 'pino';
import { LogSink } from './log-sink.js';

/** Where a logger's evidence lines go: its sink and its bindings (`,"pid":1,"worker":2`), or null to go through pino. */
interface Target {
  readonly sink: LogSink;
  readonly bindings: string;
}

const targets = new WeakMap<Logger, Target | null>();

/** pino's info level number: lines are written when the logger's level is at most this. */
const INFO = 30;

/** evidenceTarget returns the sink behind `log` (a logger of createLogger), or null for any other pino logger. */
export function evidenceTarget(log: Logger): Target | null {
  let t = targets.get(log);
  if (t === undefined) {
    const stream = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
    const bindings = (log as unknown as Record<symbol, unknown>)[pino.symbols.chindingsSym];
    t = stream instanceof LogSink && typeof bindings === 'string' ? { sink: stream, bindings } : null;
    targets.set(log, t);
  }
  return t;
}

/** infoEnabled is log.isLevelEnabled('info') without the call (close() sets the level to silent). */
export function infoEnabled(log: Logger): boolean {
  return log.levelVal <= INFO;
}

// The ISO time changes once per millisecond; under load many lines share one, so it is formatted once per ms.
let lastMs = -1;
let lastHead = '';

/** The start of an info line up to the bindings: `{"level":"info","time":"2026-...Z"`. */
export function infoHead(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastHead = `{"level":"info","time":"${new Date(ms).toISOString()}"`;
  }
  return lastHead;
}

/** Characters a JSON string must escape (and lone surrogates, which JSON.stringify escapes). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** json writes a string as a JSON string literal; names and addresses almost never need escaping, so that is tested first. */
export function json(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}
