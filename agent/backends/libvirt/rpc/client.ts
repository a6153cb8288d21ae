import { LibvirtClient } from '../binding/client.js';
import { SerialQueue } from '../binding/queue.js';
import { rpcOpHandlers } from './ops.js';
import type { RpcSession } from './session.js';
import type { DaemonTarget } from './target.js';

/** RpcClientOptions: the daemon to reach, the per-call timeout, and whether to ask for keepalive PINGs. */
export interface RpcClientOptions {
  readonly target: DaemonTarget;
  readonly timeoutMs: number;
  readonly keepalive?: boolean;
}

/**
 * createRpcClient returns a client that speaks libvirtd's RPC protocol over its unix socket: no
 * libvirt.so in this process. Operations run one at a time on the client's own queue (the
 * process-wide one exists for libvirt.so's shared error slot, which this client does not have),
 * each bounded by timeoutMs, as the koffi client's are.
 */
export function createRpcClient(opts: RpcClientOptions): LibvirtClient<RpcSession> {
  const session: RpcSession = {
    target: opts.target,
    timeoutMs: opts.timeoutMs,
    keepalive: opts.keepalive ?? false,
    conn: null,
  };
  return new LibvirtClient({
    timeoutMs: opts.timeoutMs,
    handlers: rpcOpHandlers,
    session,
    queue: new SerialQueue(),
  });
}
