/**
 * `cache.maxBytes` bounds the memory a full cache really holds: a separate Node process (--expose-gc) fills the
 * built AnswerCache past its limit and reads the heap and external memory it holds after full collections.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_BIN, REPO_ROOT, requireBuiltCli } from '../helpers/paths.js';

interface Footprint {
  maxBytes: number;
  footprint: number;
  entries: number;
  chargedBytes: number;
  evicted: number;
}

function measure(maxBytes: number, names: number): Promise<Footprint> {
  requireBuiltCli();
  const script = join(REPO_ROOT, 'test', 'cache', 'measure-cache-footprint.mjs');
  return new Promise((resolve, reject) => {
    execFile(NODE_BIN, ['--expose-gc', script, String(maxBytes), String(names)], { timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Footprint);
    });
  });
}

describe('answer cache footprint', () => {
  it.each([
    [16 * 1024 * 1024, 60_000],
    [64 * 1024 * 1024, 200_000],
  ])('a full cache of %i bytes, offered %i names, holds within a tenth of that in heap and external memory', async (maxBytes, names) => {
    const r = await measure(maxBytes, names);
    // Full: the names given are several times what fits, so the limit was reached and answers were evicted.
    expect(r.evicted).toBeGreaterThan(names / 2);
    expect(r.chargedBytes).toBeGreaterThan(maxBytes * 0.99);
    expect(r.chargedBytes).toBeLessThanOrEqual(maxBytes);
    expect(r.footprint / maxBytes).toBeGreaterThan(0.9);
    expect(r.footprint / maxBytes).toBeLessThan(1.1);
  }, 90_000);
});
