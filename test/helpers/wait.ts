/** Bounded waiting helpers: every wait in the integration tests ends, with a message saying what never happened. */

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Calls `probe` until it returns a value other than undefined, at most `attempts` times `intervalMs` apart. */
export async function retry<T>(what: string, attempts: number, intervalMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await delay(intervalMs);
  }
  const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`${what}: gave up after ${attempts} attempts${detail}`);
}
