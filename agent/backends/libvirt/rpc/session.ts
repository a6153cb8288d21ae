import { VIR_ERR, VIR_FROM_RPC } from '../binding/constants.js';
import { LibvirtCallFailure } from '../binding/failure.js';
import { RpcConnection } from './connection.js';
import { AUTH, PROC, REMOTE, type Program, VIR_DRV_FEATURE_PROGRAM_KEEPALIVE } from './programs.js';
import { type DaemonTarget, pickSocket } from './target.js';
import { type XdrReader, XdrWriter } from './xdr.js';

/** RpcSession is one RPC client's state: where the daemon is, the open connection, the per-call timeout. */
export interface RpcSession {
  readonly target: DaemonTarget;
  readonly timeoutMs: number;
  /** keepalive asks libvirtd to send keepalive PINGs (answered by the connection) */
  readonly keepalive: boolean;
  conn: RpcConnection | null;
}

/** RpcCall names one call for errors and says how to read its reply. */
export interface RpcCall<T> {
  readonly symbol: string;
  readonly decode: (r: XdrReader) => T;
  readonly prog?: Program;
}

const EMPTY = new Uint8Array(0);
const none = (): null => null;

/** rpc sends one call on the session's open connection; a closed session fails as the koffi binding's does. */
export function rpc<T>(s: RpcSession, proc: number, args: XdrWriter | null, call: RpcCall<T>): Promise<T> {
  if (s.conn === null)
    return Promise.reject(
      new LibvirtCallFailure('virConnectOpen', VIR_ERR.NO_CONNECT, 0, 'connection is closed'),
    );
  const body = args === null ? EMPTY : args.bytes();
  return s.conn.call(call.prog ?? REMOTE, proc, body, {
    symbol: call.symbol,
    timeoutMs: s.timeoutMs,
    decode: call.decode,
  });
}

/** openSession dials the daemon, authenticates (none or polkit) and opens the target's URI. */
export async function openSession(s: RpcSession): Promise<void> {
  await closeSession(s); // a reopen must not leak the connection it replaces
  const path = pickSocket(s.target);
  if (path === null) {
    const message = `Failed to connect socket: none of ${s.target.sockets.join(', ')} exists (is libvirtd running?)`;
    throw new LibvirtCallFailure('virConnectOpen', VIR_ERR.SYSTEM_ERROR, VIR_FROM_RPC, message);
  }
  s.conn = await RpcConnection.open(path, s.timeoutMs);
  try {
    await authenticate(s);
    if (s.keepalive) {
      const feature = new XdrWriter().int(VIR_DRV_FEATURE_PROGRAM_KEEPALIVE);
      await rpc(s, PROC.CONNECT_SUPPORTS_FEATURE, feature, {
        symbol: 'virConnectOpen',
        decode: (r) => r.int(),
      });
    }
    const open = new XdrWriter().optString(s.target.name).uint(0);
    await rpc(s, PROC.CONNECT_OPEN, open, { symbol: 'virConnectOpen', decode: none });
  } catch (err) {
    s.conn.close();
    s.conn = null;
    throw err;
  }
}

// libvirtd lists the schemes it accepts on this socket: none, or polkit (root passes it), or SASL.
async function authenticate(s: RpcSession): Promise<void> {
  const types = await rpc(s, PROC.AUTH_LIST, null, {
    symbol: 'virConnectOpen',
    decode: (r) => r.array(20, 4, (x) => x.int()),
  });
  if (types.length === 0 || types.includes(AUTH.NONE)) return;
  if (types.includes(AUTH.POLKIT)) {
    await rpc(s, PROC.AUTH_POLKIT, null, { symbol: 'virConnectOpen', decode: (r) => r.int() });
    return;
  }
  const message = `authentication failed: libvirtd offers only SASL (auth types ${types.join(', ')}), which vmpool's RPC client does not speak`;
  throw new LibvirtCallFailure('virConnectOpen', VIR_ERR.AUTH_FAILED, VIR_FROM_RPC, message);
}

/** closeSession sends CONNECT_CLOSE (if the socket is still up) and closes the socket. */
export async function closeSession(s: RpcSession): Promise<void> {
  const conn = s.conn;
  s.conn = null;
  if (conn === null) return;
  try {
    if (!conn.closed) {
      const session = { ...s, conn };
      await rpc(session, PROC.CONNECT_CLOSE, null, { symbol: 'virConnectClose', decode: none });
    }
  } finally {
    conn.close();
  }
}
