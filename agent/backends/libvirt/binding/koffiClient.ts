import { LibvirtClient } from './client.js';
import { opHandlers } from './ops.js';
import { libvirtQueue } from './queue.js';
import type { Session } from './session.js';
import { loadLibvirtSymbols } from './symbols.js';

/**
 * createKoffiClient loads libvirt.so.0 into this process (once) and returns a client whose operations
 * are libvirt C calls on libuv's pool, one at a time on the process-wide queue (their errors share
 * one slot). Imported lazily: a process that only talks to a daemon never maps libvirt.so.
 */
export function createKoffiClient(timeoutMs: number): LibvirtClient<Session> {
  const session: Session = { sym: loadLibvirtSymbols(), conn: null };
  return new LibvirtClient({ timeoutMs, handlers: opHandlers, session, queue: libvirtQueue });
}
