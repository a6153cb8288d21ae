import * as b from './binding.js';
import { LibvirtCallFailure } from './callFailure.js';
import { VIR_ERR } from './errors.js';
import type { OpName, OpTable } from './protocol.js';
import type { LibvirtSymbols, Ptr } from './symbols.js';

/** Session is the worker's connection state: the symbols and the one open connection. */
export interface Session {
  readonly sym: LibvirtSymbols;
  conn: Ptr | null;
}

/** connection returns the open connection or fails like libvirt would for a closed one. */
export function connection(s: Session): Ptr {
  if (s.conn === null)
    throw new LibvirtCallFailure('virConnectOpen', VIR_ERR.NO_CONNECT, 0, 'connection is closed');
  return s.conn;
}

/** withDomain looks the domain up, runs fn with the handle, and always frees the handle. */
export function withDomain<T>(s: Session, name: string, fn: (dom: Ptr) => T): T {
  const dom = b.domainLookupByName(s.sym, connection(s), name);
  try {
    return fn(dom);
  } finally {
    b.domainFree(s.sym, dom);
  }
}

/** OpHandlers maps each operation to a synchronous function running on the worker thread. */
export type OpHandlers = { [K in OpName]: (s: Session, args: OpTable[K]['args']) => OpTable[K]['result'] };
