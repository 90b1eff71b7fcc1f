// Idle instances that keep V8's hidden classes alive.
//
// V8 keeps the hidden classes (maps) that a class's instances go through only while some object
// has them: at a full GC with no instance alive they are dropped, and every function optimized
// against them is deoptimized, to be optimized again later. Code that makes a MaState, a range
// cursor or an entries() iterator per pass paid that after every full GC: MaState.find over a
// 1,000-range tree, a state per pass, cost 40-200 ns a range with the drops against 33 steady.
// Each such class keeps one idle instance here, made by its own constructor so that it has the
// instances' map. A field that takes numbers beyond small integers, or bigints, is given a bigint
// in the idle instance (held as a tagged value from the start): a field that first held a small
// integer and then a double would move every instance to a new map, which only live instances
// would keep.

const kept: object[] = [];

/** The argument a constructor takes to make its idle instance (no core object, nothing checked). */
export const IDLE: unique symbol = Symbol('idle');

/** Keep `o` for the module's life (see above). Returns o. */
export function keepShape<T extends object>(o: T): T {
  kept.push(o);
  return o;
}

/** @internal Let the idle instances go (the control of test/release/shapes.test.ts). */
export function _releaseShapes(): void {
  kept.length = 0;
}
