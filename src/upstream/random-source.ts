/** Cryptographically random 16-bit numbers for query IDs and socket choice, drawn from a buffered CSPRNG pool. */
import { randomFillSync } from 'node:crypto';

/** A source of unpredictable numbers (RFC 5452: IDs and ports must not be guessable by an off-path attacker). */
export interface RandomSource {
  /** A uniformly random integer in [0, 65535]. */
  uint16(): number;
  /** A uniformly random integer in [0, n) for 1 <= n <= 65536. */
  below(n: number): number;
}

/** Creates a random source that refills a pool of CSPRNG bytes in chunks, so each ID costs no syscall. */
export function createRandomSource(poolBytes = 4096): RandomSource {
  const pool = Buffer.allocUnsafe(poolBytes - (poolBytes % 2));
  let offset = pool.length; // empty: the first call fills it

  const uint16 = (): number => {
    if (offset >= pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    const v = pool.readUInt16BE(offset);
    offset += 2;
    return v;
  };

  const below = (n: number): number => {
    if (n <= 1) return 0;
    // Rejection sampling keeps the choice uniform; more than a few rounds has odds far below 2^-64.
    const limit = 65536 - (65536 % n);
    let v = uint16();
    for (let i = 0; i < 64 && v >= limit; i++) v = uint16();
    return v % n;
  };

  return { uint16, below };
}
