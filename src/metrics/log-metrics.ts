/** The log sink's metrics: lines written and dropped, the backlog held in memory, reopenings and whether writing fails now. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LogSinkStats } from '../log/log-sink.js';

/** registerLogMetrics adds the log sink's series to `registry`, read from `stats` at scrape time (nothing on the query path). */
export function registerLogMetrics(registry: Registry, stats: () => LogSinkStats): void {
  // Counters copied from the sink's own numbers when scraped: the sink counts with plain integers.
  const counter = (name: string, help: string, read: (s: LogSinkStats) => number): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read(stats()));
      },
    });
  };
  counter('hradba_log_lines_written_total', 'Log lines handed to the kernel', (s) => s.written);
  counter('hradba_log_dropped_total', 'Log lines dropped: backlog full, destination gone, or unwritten at the close deadline', (s) => s.dropped);
  counter('hradba_log_reopened_total', 'Times the log file was opened again (SIGHUP, or the file moved or deleted)', (s) => s.reopened);
  new Gauge({
    name: 'hradba_log_backlog_lines',
    help: 'Log lines held in memory, waiting to be written',
    registers: [registry],
    collect() {
      this.set(stats().backlog);
    },
  });
  new Gauge({
    name: 'hradba_log_sink_degraded',
    help: '1 while writing the log fails (full disk, closed pipe), else 0',
    registers: [registry],
    collect() {
      const s = stats();
      this.set(s.fault !== null || s.failed ? 1 : 0);
    },
  });
}
