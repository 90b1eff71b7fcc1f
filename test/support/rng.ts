// mulberry32: a tiny seeded PRNG, so every random test replays exactly from its seed.

export interface Rng {
  /** Uniform float in [0, 1). */
  (): number;
  /** Uniform integer in [0, n), n <= 2^32. */
  int(n: number): number;
  /** Uniform integer in [lo, hi] (inclusive, safe integers). */
  range(lo: number, hi: number): number;
  /** Uniform bigint in [0, n) for any n >= 1n (built from 32-bit draws). */
  big(n: bigint): bigint;
  /** True with probability p. */
  chance(p: number): boolean;
}

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = next as Rng;
  rng.int = (n) => Math.floor(next() * n);
  rng.range = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  rng.big = (n) => {
    let words = 0n;
    let bits = 0n;
    while ((1n << bits) < n) {
      words = (words << 32n) | BigInt(Math.floor(next() * 4294967296));
      bits += 32n;
    }
    return words % n; // the bias is below 2^-32 per extra word: irrelevant for tests
  };
  rng.chance = (p) => next() < p;
  return rng;
}
