/** Worker thread entry: loads and compiles the lists off the serving thread and transfers the result back. */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { ListConfig } from '../config/types.js';
import { HradbaError } from '../errors.js';
import { transferablesOf } from './compiled-policy.js';
import { buildPolicyData } from './policy.js';
import type { ListProblem } from './types.js';

/** What the worker is given. */
export interface PolicyWorkerInput {
  readonly lists: readonly ListConfig[];
  readonly maxBadLines: number;
}

/** What the worker answers: the compiled data, or the error in a form that survives the thread boundary. */
export type PolicyWorkerOutput =
  | { readonly ok: true; readonly data: import('./compiled-policy.js').PolicyData }
  | { readonly ok: false; readonly code: string | null; readonly message: string; readonly problems: readonly ListProblem[] };

/**
 * lowerThreadPriority nices this thread only (Linux: setpriority on a thread id affects that thread), so on
 * a busy machine the thread answering queries wins the CPU over the build. Best effort elsewhere.
 */
function lowerThreadPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch {
    // No /proc, or not permitted: the build just competes at normal priority.
  }
}

const input = workerData as PolicyWorkerInput;
lowerThreadPriority();
const port = parentPort;
if (port !== null) {
  buildPolicyData(input.lists, input.maxBadLines).then(
    (data) => {
      // Transferred, not copied: the serving thread gets the buffers without a second copy of the lists.
      port.postMessage({ ok: true, data } satisfies PolicyWorkerOutput, transferablesOf(data));
    },
    (err: unknown) => {
      const out: PolicyWorkerOutput =
        err instanceof HradbaError
          ? { ok: false, code: err.code, message: err.message, problems: err.problems }
          : { ok: false, code: null, message: err instanceof Error ? (err.stack ?? err.message) : String(err), problems: [] };
      port.postMessage(out);
    },
  );
}
