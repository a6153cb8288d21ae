import koffi from 'koffi';
import { LibvirtCallFailure } from './failure.js';
import type { LibvirtSymbols, Ptr, Remote, VirErrorStruct } from './symbols.js';

export { LibvirtCallFailure };

/**
 * remote runs a C function that may reach libvirtd on libuv's thread pool (koffi `.async`) and
 * resolves with its return value; the event loop keeps running meanwhile. Arguments (strings,
 * buffers, out-parameter holders) stay referenced until the call returns, and callers free what the
 * call handed over only after awaiting it. The error slot is cleared first, so a failure read after
 * the call is this call's own.
 */
export function remote<A extends unknown[], R>(
  sym: LibvirtSymbols,
  fn: Remote<(...args: A) => R>,
  ...args: A
): Promise<R> {
  sym.virResetError(sym.errorSlot);
  return new Promise((resolve, reject) => {
    const done = (err: unknown, result: R) => (err ? reject(err) : resolve(result));
    (fn.async as (...a: unknown[]) => void)(...args, done);
  });
}

/** readLastError reads and clears the error slot; it must run right after the failing call. */
export function readLastError(sym: LibvirtSymbols, symbol: string): LibvirtCallFailure {
  const err = koffi.decode(sym.errorSlot, sym.types.virError) as VirErrorStruct;
  sym.virResetError(sym.errorSlot); // frees the strings libvirt copied in and zeroes the slot
  if (err.code === 0) return new LibvirtCallFailure(symbol, 0, 0, `${symbol} failed without a libvirt error`);
  return new LibvirtCallFailure(symbol, err.code, err.domain, err.message ?? `${symbol} failed`);
}

/** checkRc returns rc, or throws the call's libvirt error when rc is negative (libvirt's failure signal). */
export function checkRc(sym: LibvirtSymbols, symbol: string, rc: number): number {
  if (rc < 0) throw readLastError(sym, symbol);
  return rc;
}

/** checkPtr returns a non-null pointer/string, or throws the call's libvirt error for NULL. */
export function checkPtr<T extends Ptr | string>(sym: LibvirtSymbols, symbol: string, value: T | null): T {
  if (value === null) throw readLastError(sym, symbol);
  return value;
}
