/** Raises this test process's open-file limit (soft, up to the hard one) for loads that hold many sockets. */
import { execFileSync } from 'node:child_process';

/** The soft and hard NOFILE limits of process `pid`, read with util-linux prlimit. */
function nofile(pid: number): { soft: number; hard: number } {
  const out = execFileSync('prlimit', ['--pid', String(pid), '--nofile', '--raw', '--noheadings', '--output=SOFT,HARD'], { encoding: 'utf8' });
  const [soft, hard] = out.trim().split(/\s+/).map((v) => (v === 'unlimited' ? Infinity : Number(v)));
  return { soft: soft ?? 0, hard: hard ?? 0 };
}

/**
 * ensureFileLimit makes the soft limit at least `needed` (children spawned later inherit it); throws when the hard
 * limit is below it, so a load test fails with the reason instead of EMFILE halfway.
 */
export function ensureFileLimit(needed: number): number {
  const { soft, hard } = nofile(process.pid);
  if (soft >= needed) return soft;
  if (hard < needed) throw new Error(`this test needs ${needed} open files; the hard limit is ${hard} (raise it, e.g. ulimit -Hn)`);
  execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${needed}:`]);
  return nofile(process.pid).soft;
}
