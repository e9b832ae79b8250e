/** Worker thread entry: loads and compiles lists off the serving thread, one request at a time, and transfers each result back. */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { ListConfig } from '../config/types.js';
import { HradbaError } from '../errors.js';
import { sharedData, transferablesOf, type PolicyData } from './compiled-policy.js';
import { buildPolicyData, type BuildPolicyDataOptions } from './policy.js';
import type { ListProblem } from './types.js';

/** One build request. */
export interface PolicyWorkerRequest {
  readonly id: number;
  readonly lists: readonly ListConfig[];
  readonly maxBadLines: number;
  /** The policy in force as plain data (per-list entry counts, kept texts of mandatory lists), shrink guard, force. */
  readonly opts: BuildPolicyDataOptions;
  /** Return the arrays in SharedArrayBuffers, for a policy several serving threads read. */
  readonly shared?: boolean;
}

/** The answer to request `id`: the compiled data, or the error in a form that survives the thread boundary. */
export type PolicyWorkerResponse =
  | { readonly id: number; readonly ok: true; readonly data: PolicyData }
  | { readonly id: number; readonly ok: false; readonly code: string | null; readonly message: string; readonly problems: readonly ListProblem[] };

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

const port = parentPort;
if (port !== null) {
  lowerThreadPriority();
  port.on('message', (req: PolicyWorkerRequest) => {
    buildPolicyData(req.lists, req.maxBadLines, req.opts).then(
      (built) => {
        // Transferred or shared, never copied on the way: the receiver gets the buffers without a second copy.
        const data = req.shared === true ? sharedData(built) : built;
        port.postMessage({ id: req.id, ok: true, data } satisfies PolicyWorkerResponse, transferablesOf(data));
      },
      (err: unknown) => {
        const out: PolicyWorkerResponse =
          err instanceof HradbaError
            ? { id: req.id, ok: false, code: err.code, message: err.message, problems: err.problems }
            : { id: req.id, ok: false, code: null, message: err instanceof Error ? (err.stack ?? err.message) : String(err), problems: [] };
        port.postMessage(out);
      },
    );
  });
}
