// A tree and its model side by side. Every write goes to both, then the tree is checked three
// ways: mt.validate() (the core's own invariants, pool accounting, handle counts), the
// independent dump-based structure check, and a full comparison of contents with the model.

import { expect } from 'vitest';
import { MapleTree, NodePool, MapleError } from '../../src/index';
import type { WriteType } from '../../src/index';
import { Model, arg, expectSame } from './model';
import { checkStructure } from './structure';

export class Harness<T> {
  readonly pool = new NodePool();
  readonly mt: MapleTree<T>;
  readonly model = new Model<T>();
  /** Check structure and contents after every write (off for big trees). */
  full = true;

  constructor(entries: 'object' | 'number' = 'object') {
    this.mt = new MapleTree<T>({ pool: this.pool, entries });
  }

  check(): void {
    this.mt.validate();
    if (this.full) {
      checkStructure(this.mt as MapleTree<unknown>);
      expectSame(this.mt, this.model);
    }
  }

  store(first: bigint, last: bigint, entry: T | null): void {
    this.mt.storeRange(arg(first), arg(last), entry);
    this.model.store(first, last, entry);
    this.check();
  }

  erase(key: bigint): T | undefined {
    const got = this.mt.erase(arg(key));
    const want = this.model.erase(key);
    expect(got).toBe(want);
    this.check();
    return got;
  }

  /**
   * Which write path a write takes, observed from outside: first run it with every allocation
   * failing. A write that needs no node (exact fit, append, slot store, node store) succeeds
   * and is 'in place'; one that needs nodes throws ENOMEM, must leave the tree exactly as it
   * was, and the fault record names its store type. It is then run for real.
   */
  writeType(write: () => void, apply: () => void): WriteType | 'in place' {
    const faults = this.pool.faults;
    const asked = faults.stats().asked;
    // Every allocation fails, the emergency reserve's too: else an erase or NULL store needing
    // nodes would take them from there and succeed, and its store type go unseen.
    faults.failReserve(true);
    faults.failAfter(0);
    let error: unknown;
    try {
      write();
    } catch (e) {
      error = e;
    } finally {
      faults.off();
      faults.failReserve(false);
    }
    if (error === undefined) {
      apply();
      this.check();
      expect(faults.stats().asked).toBe(asked);
      return 'in place';
    }
    expect(error).toBeInstanceOf(MapleError);
    expect((error as MapleError).code).toBe('ENOMEM');
    this.check(); // unchanged
    const type = faults.stats().lastFailure!.writeType;
    write();
    apply();
    this.check();
    return type;
  }

  storeTyped(first: bigint, last: bigint, entry: T | null): WriteType | 'in place' {
    return this.writeType(() => this.mt.storeRange(arg(first), arg(last), entry),
      () => this.model.store(first, last, entry));
  }

  eraseTyped(key: bigint): WriteType | 'in place' {
    let got: T | undefined;
    const type = this.writeType(() => { got = this.mt.erase(arg(key)); }, () => {
      expect(got).toBe(this.model.erase(key));
    });
    return type;
  }
}
