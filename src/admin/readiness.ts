/**
 * Readiness: the policy is loaded and at least one upstream answers. A usable upstream answer within the last
 * RECENT_MS counts; without one (a quiet night), one probe query (`. NS`) goes to the upstreams, and any answer
 * to it, even REFUSED from an authoritative-only upstream, shows the path works. Concurrent checks share a probe.
 */
import { TYPE } from '../dns/constants.js';
import { buildQuery } from '../dns/query-builder.js';
import type { Forwarder } from '../upstream/types.js';

/** An upstream answer this recent proves the path without a probe. */
export const RECENT_MS = 30_000;

/** The root NS question: every recursive resolver answers it from its cache. */
const PROBE = buildQuery({ name: '.', type: TYPE.NS });
const PROBE_QUESTION_END = PROBE.length;

export interface ReadinessDeps {
  /** The forwarder in force, or null before the policy is loaded. */
  readonly forwarder: () => Forwarder | null;
  /** Date.now() of the last usable upstream answer, or null. */
  readonly lastUpstreamAnswerMs: () => number | null;
}

export interface ReadyState {
  readonly ready: boolean;
  readonly reason: string;
}

/** createReadiness returns the check /readyz runs; it never rejects. */
export function createReadiness(deps: ReadinessDeps): () => Promise<ReadyState> {
  let probing: Promise<ReadyState> | null = null;
  return () => {
    const forwarder = deps.forwarder();
    if (forwarder === null) return Promise.resolve({ ready: false, reason: 'policy not loaded' });
    const last = deps.lastUpstreamAnswerMs();
    if (last !== null && Date.now() - last < RECENT_MS) return Promise.resolve({ ready: true, reason: 'upstream answered recently' });
    probing ??= forwarder
      .forward(PROBE, PROBE_QUESTION_END)
      .then((result): ReadyState => (result.ok ? { ready: true, reason: 'upstream answered a probe' } : { ready: false, reason: `no upstream answered a probe (${result.reason})` }))
      .finally(() => {
        probing = null;
      });
    return probing;
  };
}

/** serverReadiness is the readiness of one running server: its forwarder in force and its last upstream answer. */
export function serverReadiness(
  server: { current(): { readonly forwarder: Forwarder } },
  metrics: { lastUpstreamAnswerMs(): number | null },
): () => Promise<ReadyState> {
  return createReadiness({ forwarder: () => server.current().forwarder, lastUpstreamAnswerMs: () => metrics.lastUpstreamAnswerMs() });
}

/** Lines dropped this recently keep /readyz at 503, so a scrape between two faults still sees them. */
export const LOG_DROP_RECENT_MS = 10_000;

/** What readiness needs to know of the log sink (a LogSinkStats has it). */
export interface LogSinkHealth {
  readonly fault: string | null;
  readonly failed: boolean;
  readonly backlog: number;
  readonly dropped: number;
  readonly lastDropMs: number | null;
}

/**
 * withLogSink adds the log to readiness: a server whose evidence cannot be written (full disk, closed pipe) or was
 * dropped recently is not ready, so the orchestrator and the operator see it; DNS itself goes on answering.
 */
export function withLogSink(readiness: () => Promise<ReadyState>, sink: () => LogSinkHealth): () => Promise<ReadyState> {
  return () => {
    const s = sink();
    if (s.failed || s.fault !== null) {
      return Promise.resolve({ ready: false, reason: `log sink degraded: ${s.fault ?? 'failed'}${s.failed ? ' (destination gone)' : ''}; ${s.backlog} lines held, ${s.dropped} dropped` });
    }
    if (s.lastDropMs !== null && Date.now() - s.lastDropMs < LOG_DROP_RECENT_MS) {
      return Promise.resolve({ ready: false, reason: `log sink degraded: ${s.dropped} lines dropped, the last ${Date.now() - s.lastDropMs} ms ago` });
    }
    return readiness();
  };
}
