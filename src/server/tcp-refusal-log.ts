/**
 * The rate-limited record of TCP connections the listeners closed on their own (outside the access list, over a
 * cap, shed, frame deadline): the first one is logged at once, the rest are summed into at most one line per
 * interval naming the counts by reason and the busiest sources, so an attack is visible without flooding the log.
 */
import type { Logger } from 'pino';
import type { TcpCloseReason } from '../net/tcp-listener.js';

/** At most one summary line this often. */
export const TCP_REFUSAL_LOG_INTERVAL_MS = 10_000;
/** Sources remembered per interval (beyond them, connections are still counted, under 'other'). */
const MAX_SOURCES = 256;
/** Sources named in one line. */
const TOP_SOURCES = 5;

const WHAT: Record<TcpCloseReason, string> = {
  access: 'outside access.allow',
  'client-limit': 'over tcp.maxConnectionsPerClient',
  limit: 'over tcp.maxConnections with none idle',
  shed: 'idle, shed for a new one',
  'frame-timeout': 'frame not finished within tcp.frameTimeout',
};

export interface TcpRefusalLogOptions {
  readonly intervalMs?: number;
  /** Counts each closed connection (the metrics). */
  readonly count?: (reason: TcpCloseReason) => void;
}

/** createTcpRefusalLog returns the listeners' `onClosed` hook, writing to `log`. */
export function createTcpRefusalLog(log: Logger, opts: TcpRefusalLogOptions = {}): (reason: TcpCloseReason, address: string) => void {
  const intervalMs = opts.intervalMs ?? TCP_REFUSAL_LOG_INTERVAL_MS;
  let closed: Partial<Record<TcpCloseReason, number>> = {};
  let sources = new Map<string, number>();
  let lastLine = -Infinity;
  let timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    timer = undefined;
    const entries = Object.entries(closed) as [TcpCloseReason, number][];
    if (entries.length === 0) return;
    const top = [...sources.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP_SOURCES);
    const total = entries.reduce((n, [, c]) => n + c, 0);
    const named = top.reduce((n, [, c]) => n + c, 0);
    const bySource: Record<string, number> = Object.fromEntries(top);
    if (named < total) bySource['other'] = total - named;
    log.warn(
      { event: 'tcp-refused', closed, sources: bySource },
      `closed ${total} TCP connection${total === 1 ? '' : 's'}: ${entries.map(([r, c]) => `${c} ${WHAT[r]}`).join(', ')}`,
    );
    lastLine = Date.now();
    closed = {};
    sources = new Map();
  };

  return (reason, address) => {
    opts.count?.(reason);
    closed[reason] = (closed[reason] ?? 0) + 1;
    if (sources.has(address) || sources.size < MAX_SOURCES) sources.set(address, (sources.get(address) ?? 0) + 1);
    if (timer !== undefined) return;
    const wait = lastLine + intervalMs - Date.now();
    if (wait <= 0) flush();
    else {
      timer = setTimeout(flush, wait);
      // A summary still waiting is no reason to keep a stopping process alive.
      timer.unref();
    }
  };
}
