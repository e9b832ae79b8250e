/** Tests for the buffered CSPRNG behind query IDs and socket choice. */
import { describe, expect, it } from 'vitest';
import { createRandomSource } from '../../src/upstream/random-source.js';

describe('createRandomSource', () => {
  it('yields 16-bit integers across pool refills, and they vary', () => {
    const random = createRandomSource(64); // a tiny pool: 32 values per refill
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const v = random.uint16();
      expect(Number.isInteger(v) && v >= 0 && v <= 0xffff).toBe(true);
      seen.add(v);
    }
    // 1000 draws from 65536 values: a handful of repeats at most.
    expect(seen.size).toBeGreaterThan(950);
  });

  it.each([1, 2, 3, 7, 16, 65536])('below(%i) stays in range and reaches every value of small ranges', (n) => {
    const random = createRandomSource();
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = random.below(n);
      expect(Number.isInteger(v) && v >= 0 && v < n).toBe(true);
      seen.add(v);
    }
    if (n <= 16) expect(seen.size).toBe(n);
  });
});
