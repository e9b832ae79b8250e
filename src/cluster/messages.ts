/** What the supervisor and its serving threads say to each other: plain, structured-cloneable data only. */
import type { Registry } from 'prom-client';
import type { ReadyState } from '../admin/readiness.js';
import type { Overrides } from '../config/overrides.js';
import type { Config } from '../config/types.js';
import type { PolicyData } from '../policy/compiled-policy.js';

/** One registry's metrics as JSON, the form prom-client sums across threads. */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** A serving thread's workerData: everything it needs to serve without reading a file. */
export interface ThreadStart {
  /** 1-based; on every log line of the thread as `worker`. */
  readonly index: number;
  readonly configFile: string;
  readonly overrides: Overrides;
  /** The config as the supervisor read it, with concrete listen ports and this thread's share of the cache. */
  readonly config: Config;
  /** The compiled policy, its arrays in SharedArrayBuffers: one copy for every thread. */
  readonly policy: PolicyData;
  readonly version: number;
  readonly packageVersion: string;
}

/** Supervisor to thread. */
export type ToThread =
  | { readonly type: 'install'; readonly config: Config; readonly policy: PolicyData; readonly version: number; readonly force: boolean }
  | { readonly type: 'reload-failed' }
  | { readonly type: 'flush-cache' }
  | { readonly type: 'metrics'; readonly id: number }
  | { readonly type: 'readiness'; readonly id: number }
  | { readonly type: 'shutdown' };

/** Thread to supervisor. */
export type FromThread =
  | { readonly type: 'listening' }
  | { readonly type: 'start-failed'; readonly listen: boolean; readonly errors: readonly string[] }
  | { readonly type: 'installed'; readonly version: number }
  | { readonly type: 'metrics'; readonly id: number; readonly metrics: MetricsJson }
  | { readonly type: 'readiness'; readonly id: number; readonly state: ReadyState }
  | { readonly type: 'stopped' };
