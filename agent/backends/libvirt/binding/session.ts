import * as b from './binding.js';
import { LibvirtCallFailure } from './callFailure.js';
import { VIR_ERR } from './errors.js';
import type { OpName, OpTable } from './protocol.js';
import type { LibvirtSymbols, Ptr } from './symbols.js';

/** Session is one client's connection state: the symbols and the one open connection. */
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

/** withDomain looks the domain up, awaits fn with the handle, then always frees the handle. */
export async function withDomain<T>(s: Session, name: string, fn: (dom: Ptr) => Promise<T>): Promise<T> {
  const dom = await b.domainLookupByName(s.sym, connection(s), name);
  try {
    return await fn(dom);
  } finally {
    b.domainFree(s.sym, dom);
  }
}

/**
 * OpHandlers maps each operation to the async function that runs it (one at a time, see queue.ts),
 * given the backend's session S: the koffi binding's Session, or the RPC client's RpcSession.
 */
export type OpHandlers<S = Session> = {
  [K in OpName]: (s: S, args: OpTable[K]['args']) => Promise<OpTable[K]['result']>;
};
