// Build-time switches. The debug target keeps assertions (asc without --noAssert); the release
// target is built with --noAssert, which makes DEBUG a compile-time false and removes every check
// guarded by it.

/** True in the debug build: invariant checks inside write paths are compiled in. */
// @ts-ignore: decorator
@inline export const DEBUG: bool = !ASC_NO_ASSERT;

/**
 * Fault injection compiled in (asconfig's `use`: MAPLE_FAULTS=1). The benchmark builds a
 * variant with MAPLE_FAULTS=0 to measure what the disarmed check costs on the store path.
 */
// @ts-ignore: defined on the command line by asc --use
@inline export const FAULTS: bool = MAPLE_FAULTS != 0;

/** Largest key: ULONG_MAX on a 64-bit kernel. */
// @ts-ignore: decorator
@inline export const MAPLE_MAX: u64 = 0xFFFF_FFFF_FFFF_FFFF;

/**
 * Deepest tree we support. A non-root node holds at least 7 children (5 for arange_64), and
 * linear memory holds at most 2^24 nodes, so real trees stay far below this; paths are sized by it.
 */
// @ts-ignore: decorator
@inline export const MAPLE_HEIGHT_MAX: i32 = 16;

/** errno values, returned negated across the boundary as the kernel does. */
// @ts-ignore: decorator
@inline export const ENOMEM: i32 = 12;
// @ts-ignore: decorator
@inline export const EEXIST: i32 = 17;
// @ts-ignore: decorator
@inline export const EINVAL: i32 = 22;
// @ts-ignore: decorator
@inline export const EBUSY: i32 = 16;

/**
 * The shared-memory build (asconfig target `shared`: imported shared memory, threads): readers
 * in other instances walk the trees while one instance writes, so RCU read sections, node
 * validation and the write lock are compiled in. The other builds compile them out.
 */
// @ts-ignore: defined on the command line by asc --use
@inline export const SHARED: bool = MAPLE_SHARED != 0;
