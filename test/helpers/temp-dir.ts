/** Temporary directories for the servers the integration tests start, removed when the server stops. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Creates a fresh directory under the OS temp dir, named after its user. */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `hradba-${prefix}-`));
}

/** Removes a directory made by makeTempDir; never throws (cleanup must not mask a test failure). */
export function removeTempDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // best effort
  }
}
