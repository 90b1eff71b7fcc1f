// W1..W8 (described in bench/README.md) as data: what each sample prepares (untimed), what it
// times, and the checksum it leaves. Every random sequence starts from mulberry32(1) on its own.
import { mulberry32, shuffled, draws } from './rng.mjs';
import { Digest } from './impls.mjs';

/** Inputs shared by every implementation at one N (built once, untimed). */
export function inputs(N, mode) {
  const E = new Array(N + 3);
  for (let i = 0; i < N + 3; i++) E[i] = mode === 'number' ? i + 1 : { id: i + 1 };
  const n5 = Math.min(N, 100_000);
  const F = new Array(n5);
  for (let k = 0; k < n5; k++) F[k] = mode === 'number' ? N + 1 + k : { id: N + 1 + k };
  return {
    N, mode, E, F,
    order: shuffled(N, mulberry32(1)),                      // W2, W6
    xs3: draws(1_000_000, 16 * N, mulberry32(1)),           // W3
    xs5: draws(n5, 16 * N, mulberry32(1)),                  // W5
    is7: draws(n5, N - 3, mulberry32(1)),                   // W7
    xs8: draws(n5, 16 * N, mulberry32(1)),                  // W8
  };
}

export function digest(impl, m) {
  const d = new Digest();
  impl.each(m, (i, l, e) => d.add(i, l, e));
  return d.toString();
}

/**
 * Each workload: ops(N); prep(impl, I) -> structure (untimed); run(impl, m, I) -> raw result
 * (timed); check(impl, m, raw) -> checksum string (untimed); readOnly: the prepared structure
 * can serve every sample.
 */
export const WORKLOADS = [
  {
    id: 'W1', name: 'append store', ops: (N) => N,
    prep: (impl) => impl.create(),
    run: (impl, m, I) => impl.w1(m, I.N, I.E),
    check: (impl, m) => digest(impl, m),
  },
  {
    id: 'W2', name: 'random store', ops: (N) => N,
    prep: (impl) => impl.create(),
    run: (impl, m, I) => impl.w2(m, I.order, I.E),
    check: (impl, m) => digest(impl, m),
  },
  {
    id: 'W3', name: 'point load', ops: () => 1_000_000, readOnly: true,
    prep: (impl, I) => impl.base(I.N, I.E),
    run: (impl, m, I) => impl.w3(m, I.xs3),
    check: (impl, m, s) => `sum ${s}`,
  },
  {
    id: 'W4', name: 'iterate', ops: (N) => N, readOnly: true,
    prep: (impl, I) => impl.base(I.N, I.E),
    run: (impl, m) => impl.w4(m),
    check: (impl, m, s) => `sum ${s}`,
  },
  {
    id: 'W5', name: 'overwrite', ops: (N) => Math.min(N, 100_000),
    prep: (impl, I) => impl.base(I.N, I.E),
    run: (impl, m, I) => impl.w5(m, I.xs5, I.F),
    check: (impl, m) => digest(impl, m),
  },
  {
    id: 'W6', name: 'erase', ops: (N) => N,
    prep: (impl, I) => impl.base(I.N, I.E),
    run: (impl, m, I) => impl.w6(m, I.order),
    check: (impl, m, s) => `erased ${s}, left ${digest(impl, m)}`,
  },
  {
    id: 'W7', name: 'clear+restore churn', ops: (N) => Math.min(N, 100_000),
    prep: (impl, I) => impl.base(I.N, I.E),
    run: (impl, m, I) => impl.w7(m, I.is7, I.E),
    check: (impl, m) => digest(impl, m),
  },
  {
    id: 'W8', name: 'gap search', ops: (N) => Math.min(N, 100_000), readOnly: true,
    prep: (impl, I) => impl.w8base(I.N, I.E),
    run: (impl, m, I) => impl.w8(m, I.xs8),
    check: (impl, m, s) => `sum ${s}`,
  },
];

/** Extra maple-only row: W4 through MaState.find instead of forEach. */
export const W4_MAS = {
  id: 'W4m', name: 'iterate (MaState.find)', ops: (N) => N, readOnly: true,
  prep: (impl, I) => impl.base(I.N, I.E),
  run: (impl, m) => impl.w4mas(m),
  check: (impl, m, s) => `sum ${s}`,
};

/** Extra maple-only row: W4 through the entries() iterator instead of forEach. */
export const W4_ITER = {
  id: 'W4i', name: 'iterate (entries())', ops: (N) => N, readOnly: true,
  prep: (impl, I) => impl.base(I.N, I.E),
  run: (impl, m) => impl.w4iter(m),
  check: (impl, m, s) => `sum ${s}`,
};

/** Extra maple-only row: W3's indices through loadMany, in batches of 1,024. */
export const W3_MANY = {
  id: 'W3b', name: 'point load (loadMany)', ops: () => 1_000_000, readOnly: true,
  prep: (impl, I) => impl.base(I.N, I.E),
  run: (impl, m, I) => impl.w3many(m, (I.xs3f ??= Float64Array.from(I.xs3))),
  check: (impl, m, s) => `sum ${s}`,
};

/** Extra maple-only row, numeric entries: W4 through cursor()'s typed-array batches. */
export const W4_CURSOR = {
  id: 'W4c', name: 'iterate (cursor())', ops: (N) => N, readOnly: true, modes: ['number'],
  prep: (impl, I) => impl.base(I.N, I.E),
  run: (impl, m) => impl.w4cursor(m),
  check: (impl, m, s) => `sum ${s}`,
};
