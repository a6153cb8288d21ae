// Worker thread entry: every libvirt call runs here, synchronously, one at a time. libvirt keeps its
// last error per thread, so reading virGetLastError right after a failing call on this same thread is
// the only reliable way to get the error (koffi's .async runs calls on a pool thread and loses it).
import { parentPort } from 'node:worker_threads';
import koffi from 'koffi';
import { LibvirtCallFailure } from './callFailure.js';
import type { OpRequest, OpResponse, WireError } from './protocol.js';
import type { Session } from './session.js';
import { type LibvirtSymbols, loadLibvirtSymbols } from './symbols.js';
import { opHandlers } from './workerOps.js';

// silenceLibvirtStderr installs a no-op global error handler; without one libvirt prints every error.
function silenceLibvirtStderr(sym: LibvirtSymbols): void {
  // Registered (not transient) because libvirt keeps the pointer; it lives as long as the thread.
  const noop = koffi.register(() => {}, 'virErrorFunc *');
  sym.virSetErrorFunc(null, noop);
}

function toWireError(op: string, err: unknown): WireError {
  if (err instanceof LibvirtCallFailure) {
    const { symbol, libvirtCode, domain, message } = err;
    return { kind: 'libvirt', op, symbol, libvirtCode, domain, message };
  }
  return { kind: 'internal', op, message: err instanceof Error ? err.message : String(err) };
}

// handleRequest runs one operation and turns its result or failure into a response message.
function handleRequest(session: Session, req: OpRequest): OpResponse {
  const handler = opHandlers[req.op] as (s: Session, args: unknown) => unknown;
  try {
    return { id: req.id, ok: true, value: handler(session, req.args) };
  } catch (err) {
    return { id: req.id, ok: false, error: toWireError(req.op, err) };
  }
}

function main(): void {
  const port = parentPort;
  if (port === null) throw new Error('Cannot start libvirt worker: not running in a worker thread');
  const sym = loadLibvirtSymbols();
  silenceLibvirtStderr(sym);
  const session: Session = { sym, conn: null };
  port.on('message', (req: OpRequest) => port.postMessage(handleRequest(session, req)));
}

main();
