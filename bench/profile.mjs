/** Summarises V8 .cpuprofile files: self time per function, the biggest first. */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { ROOT } from './servers.mjs';

/**
 * summariseProfile returns markdown tables of the top self-time functions: the serving (main) thread apart
 * from the list-building worker threads. Node names profiles CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile.
 */
export function summariseProfile(files, top = 20) {
  const isMain = (f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f);
  const main = files.filter(isMain);
  const workers = files.filter((f) => !isMain(f));
  return [
    `### Serving thread`,
    '',
    summarise(main, top),
    '',
    `### List-building worker threads (${workers.length} builds: start and reload)`,
    '',
    summarise(workers, 12),
  ].join('\n');
}

function summarise(files, top) {
  const self = new Map();
  let total = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(f, 'utf8'));
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    for (let i = 0; i < p.samples.length; i++) {
      const n = byId.get(p.samples[i]);
      const dt = p.timeDeltas[i] ?? 0;
      if (!n) continue;
      const cf = n.callFrame;
      const where = cf.url ? `${relative(ROOT, cf.url.replace('file://', ''))}:${cf.lineNumber + 1}` : '';
      const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
      self.set(key, (self.get(key) ?? 0) + dt);
      total += dt;
    }
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  if (total === 0) return 'no samples';
  return [
    `Self time over the whole run (${(total / 1e6).toFixed(1)} s sampled), top ${top}:`,
    '',
    '| function | self ms | share |',
    '|---|---:|---:|',
    ...rows.map(([k, v]) => `| \`${k}\` | ${(v / 1000).toFixed(0)} | ${((v / total) * 100).toFixed(1)}% |`),
  ].join('\n');
}
