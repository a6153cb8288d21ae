import koffi from 'koffi';
import type { LibvirtSymbols, Ptr, VirErrorStruct } from './symbols.js';

/** LibvirtCallFailure is thrown inside the worker when a C call fails; it carries virGetLastError's fields. */
export class LibvirtCallFailure extends Error {
  constructor(
    readonly symbol: string,
    readonly libvirtCode: number,
    readonly domain: number,
    message: string,
  ) {
    super(message);
    this.name = 'LibvirtCallFailure';
  }
}

/** readLastError reads and resets this thread's libvirt error; it must run right after the failing call. */
export function readLastError(sym: LibvirtSymbols, symbol: string): LibvirtCallFailure {
  const ptr = sym.virGetLastError();
  // virGetLastError returns thread-local storage owned by libvirt: decode, never free.
  const err = ptr === null ? null : (koffi.decode(ptr, sym.types.virError) as VirErrorStruct);
  sym.virResetLastError();
  if (err === null) return new LibvirtCallFailure(symbol, 0, 0, `${symbol} failed without a libvirt error`);
  return new LibvirtCallFailure(symbol, err.code, err.domain, err.message ?? `${symbol} failed`);
}

/** checkRc returns rc, or throws the thread's libvirt error when rc is negative (libvirt's failure signal). */
export function checkRc(sym: LibvirtSymbols, symbol: string, rc: number): number {
  if (rc < 0) throw readLastError(sym, symbol);
  return rc;
}

/** checkPtr returns a non-null pointer/string, or throws the thread's libvirt error for NULL. */
export function checkPtr<T extends Ptr | string>(sym: LibvirtSymbols, symbol: string, value: T | null): T {
  if (value === null) throw readLastError(sym, symbol);
  return value;
}
