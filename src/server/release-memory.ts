/**
 * After a reload the retired policy (tens of MB of typed arrays for a big list) is garbage, but an idle
 * main thread may not collect it for a long time; one explicit full collection gives it back promptly.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's exposed gc; with `execution: 'async'` it runs as incremental, concurrent marking instead of one long pause. */
type Gc = (options?: { type: 'major' | 'minor'; execution: 'sync' | 'async' }) => void;

let collect: Gc | null | undefined;

/** fullGc starts one full garbage collection (incremental, so queries keep being answered); a no-op where the runtime does not allow it. */
export function fullGc(): void {
  if (collect === undefined) {
    try {
      // Exposing gc at run time is the documented V8 flag route; the function is taken from a fresh context.
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as Gc;
    } catch {
      collect = null;
    }
  }
  collect?.({ type: 'major', execution: 'async' });
}
