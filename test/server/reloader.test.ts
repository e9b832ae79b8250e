import { describe, expect, it } from 'vitest';
import { Reloader } from '../../src/server/reloader.js';

/** A reload whose end the test controls. */
function controlledRun() {
  let runs = 0;
  const forced: boolean[] = [];
  const finishers: Array<() => void> = [];
  const run = (force: boolean): Promise<void> => {
    runs++;
    forced.push(force);
    return new Promise((resolve) => finishers.push(resolve));
  };
  return { run, runs: () => runs, forced, finishNext: () => finishers.shift()?.() };
}

describe('Reloader', () => {
  it('runs one reload at a time and folds requests made during it into exactly one more', async () => {
    const c = controlledRun();
    const r = new Reloader(c.run);
    const first = r.request();
    const second = r.request();
    const third = r.request();
    expect(c.runs()).toBe(1);
    expect(second).toBe(third);
    c.finishNext();
    await first;
    await Promise.resolve();
    await Promise.resolve();
    expect(c.runs()).toBe(2);
    c.finishNext();
    await second;
    expect(c.runs()).toBe(2);
    await r.settled();
  });

  it('starts a fresh reload after the previous one is over', async () => {
    const c = controlledRun();
    const r = new Reloader(c.run);
    const a = r.request();
    c.finishNext();
    await a;
    const b = r.request();
    expect(c.runs()).toBe(2);
    c.finishNext();
    await b;
  });

  it('keeps going after a reload that rejects', async () => {
    let runs = 0;
    const r = new Reloader(async () => {
      runs++;
      if (runs === 1) throw new Error('broken');
    });
    const a = r.request();
    const b = r.request();
    await expect(a).rejects.toThrow('broken');
    await b;
    expect(runs).toBe(2);
  });

  it('forces the reload a forced request folds into, and only that one', async () => {
    const c = controlledRun();
    const r = new Reloader(c.run);
    const first = r.request();
    const queued = r.request();
    expect(r.request(true)).toBe(queued);
    c.finishNext();
    await first;
    await Promise.resolve();
    await Promise.resolve();
    c.finishNext();
    await queued;
    const later = r.request();
    c.finishNext();
    await later;
    expect(c.forced).toEqual([false, true, false]);
  });
});
