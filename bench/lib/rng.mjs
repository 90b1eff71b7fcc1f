// mulberry32 (the PRNG the workloads in bench/README.md draw from), as 32-bit unsigned draws so `rand() mod m` means the
// same here as in the C version: x = rand32() % m.
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function rand32() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** 0..n-1 shuffled with Fisher–Yates (i from n-1 down to 1, j = rand32() % (i + 1)). */
export function shuffled(n, rand32) {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rand32() % (i + 1);
    const t = a[i]; a[i] = a[j]; a[j] = t;
  }
  return a;
}

/** count draws of rand32() % m (m < 2^32). */
export function draws(count, m, rand32) {
  const a = new Float64Array(count);
  for (let k = 0; k < count; k++) a[k] = rand32() % m;
  return a;
}
