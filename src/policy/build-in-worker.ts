/**
 * Builds policies in a worker thread, so parsing and compiling a million names never holds up the thread
 * that answers queries; each result arrives as transferred typed arrays and is wrapped without a copy.
 * A worker per build, ended once it has answered: an idle worker would hold its heap (the parsed text, the
 * trie's growth copies) until its next garbage collection, which for an idle thread may never come.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ListConfig } from '../config/types.js';
import { HradbaError, type HradbaErrorCode } from '../errors.js';
import { policyFromData, sharedData, type PolicyData } from './compiled-policy.js';
import { buildPolicyData, dataOptions, type BuildPolicyOptions, type Policy } from './policy.js';
import type { PolicyWorkerRequest, PolicyWorkerResponse } from './policy-worker.js';

/** The compiled worker script next to this module. */
const DEFAULT_WORKER = new URL('./policy-worker.js', import.meta.url);

export interface BuildInWorkerOptions extends BuildPolicyOptions {
  /** The worker script; default: policy-worker.js beside this module. */
  readonly workerUrl?: URL;
}

/** How long an answered builder thread is left before it is ended. */
const TERMINATE_DELAY_MS = 200;

/** runWorker starts a builder thread for one request and ends it once it has answered, releasing its whole heap. */
function runWorker(url: URL, req: PolicyWorkerRequest): Promise<PolicyWorkerResponse> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url);
    let settled = false;
    worker.once('message', (msg: PolicyWorkerResponse) => {
      settled = true;
      resolve(msg);
      // Ending a thread costs this thread a few ms too: not in the same turn as taking in the result and swapping it in.
      setTimeout(() => void worker.terminate(), TERMINATE_DELAY_MS);
    });
    worker.once('error', (err) => {
      if (settled) return;
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (settled) return;
      settled = true;
      reject(new Error(`policy worker exited with code ${code} before answering`));
    });
    worker.postMessage(req);
  });
}

/**
 * buildPolicyDataInWorker compiles the lists in a worker thread and returns the compiled arrays (in SharedArrayBuffers
 * when `shared`). When the worker script is not there (the sources run untranspiled, as in unit tests), it builds on
 * this thread instead: same result, same errors.
 */
export async function buildPolicyDataInWorker(
  lists: readonly ListConfig[],
  maxBadLines: number,
  opts: BuildInWorkerOptions & { readonly shared?: boolean } = {},
): Promise<PolicyData> {
  const url = opts.workerUrl ?? DEFAULT_WORKER;
  const { workerUrl: _url, shared = false, ...policyOpts } = opts;
  if (!existsSync(fileURLToPath(url))) {
    const data = await buildPolicyData(lists, maxBadLines, dataOptions(policyOpts));
    return shared ? sharedData(data) : data;
  }
  // The policy in force goes over as plain data: entry counts for the shrink guard, kept texts of mandatory lists.
  const out = await runWorker(url, { id: 1, lists, maxBadLines, opts: dataOptions(policyOpts), shared });
  if (out.ok) return out.data;
  if (out.code !== null) throw new HradbaError(out.code as HradbaErrorCode, out.message, { problems: out.problems });
  throw new Error(`policy worker failed: ${out.message}`);
}

/** buildPolicyInWorker does what buildPolicy does (reload options included), in a worker thread. */
export async function buildPolicyInWorker(
  lists: readonly ListConfig[],
  maxBadLines: number,
  version: number,
  opts: BuildInWorkerOptions = {},
): Promise<Policy> {
  return policyFromData(await buildPolicyDataInWorker(lists, maxBadLines, opts), version);
}
