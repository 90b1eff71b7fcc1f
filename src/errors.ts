/** The kernel errno a maple tree operation can fail with. */
export type MapleErrorCode = 'ENOMEM' | 'EEXIST' | 'EINVAL' | 'EBUSY';

const ERRNO: Record<MapleErrorCode, number> = { ENOMEM: 12, EEXIST: 17, EINVAL: 22, EBUSY: 16 };
const MESSAGES: Record<MapleErrorCode, string> = {
  ENOMEM: 'out of memory: a node could not be allocated; the tree is unchanged',
  EEXIST: 'an index in the range already holds an entry; the tree is unchanged',
  EINVAL: 'invalid argument',
  EBUSY: 'no free range fits',
};

/**
 * A failed maple tree operation, carrying the kernel's error code (`code`, e.g. 'ENOMEM') and
 * errno number (`errno`, e.g. 12). Operations that throw it leave the tree as it was.
 */
export class MapleError extends Error {
  readonly code: MapleErrorCode;
  readonly errno: number;
  /** The operation that failed, e.g. 'storeRange'. */
  readonly op: string;

  constructor(code: MapleErrorCode, op: string, detail?: string) {
    super(`${op}: ${code} (${detail ?? MESSAGES[code]})`);
    this.name = 'MapleError';
    this.code = code;
    this.errno = ERRNO[code];
    this.op = op;
  }
}

const BY_ERRNO = new Map<number, MapleErrorCode>(
  (Object.keys(ERRNO) as MapleErrorCode[]).map((c) => [ERRNO[c], c]),
);

/** Turn a core status (negative errno) into a thrown MapleError; non-negative passes through. */
export function check(status: number, op: string): number {
  if (status >= 0) return status;
  const code = BY_ERRNO.get(-status);
  if (code === undefined) throw new Error(`${op}: unexpected core status ${status}`);
  throw new MapleError(code, op);
}

/**
 * An object used after its free() (or, in maple-wasm/shared, an attached tree after detach()):
 * `object` names the class the caller used (e.g. 'MapleTree'),
 * `op` the method. Nothing is changed by the call that throws it.
 */
export class UseAfterFreeError extends Error {
  readonly object: string;
  readonly op: string;

  constructor(object: string, op: string) {
    super(`${object}.${op}: used after free()`);
    SHARED: this.message += ' or detach()';
    this.name = 'UseAfterFreeError';
    this.object = object;
    this.op = op;
  }
}
