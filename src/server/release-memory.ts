/**
 * After a reload the retired policy (tens of MB of typed arrays for a big list) is garbage, but an idle
 * main thread may not collect it for a long time; one explicit full collection gives it back promptly.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;

/** fullGc runs one full garbage collection; a no-op where the runtime does not allow it. */
export function fullGc(): void {
  if (collect === undefined) {
    try {
      // Exposing gc at run time is the documented V8 flag route; the function is taken from a fresh context.
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    } catch {
      collect = null;
    }
  }
  collect?.();
}
