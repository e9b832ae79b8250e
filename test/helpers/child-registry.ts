/** Remembers every server child a test starts, so none outlives the test worker even when an afterAll never runs. */
import type { ChildProcess } from 'node:child_process';

const children = new Map<ChildProcess, NodeJS.Signals>();

/**
 * Tracks `child` until it exits. `lastResort` is sent if the worker exits first: SIGTERM for NSD,
 * whose main process must stop its own server children, SIGKILL for everything else.
 */
export function trackChild(child: ChildProcess, lastResort: NodeJS.Signals = 'SIGKILL'): void {
  children.set(child, lastResort);
  child.once('exit', () => children.delete(child));
}

/** Sends `signal` to a child and waits (bounded) for it to exit; escalates to SIGKILL. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((done) => {
    timer = setTimeout(() => done(true), graceMs);
  });
  const late = await Promise.race([exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (late && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await Promise.race([exited, new Promise((done) => setTimeout(done, 2000))]);
  }
}

// Last resort: the worker is going away, so signal what is left, each by its own pid.
process.once('exit', () => {
  for (const [child, signal] of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
});
