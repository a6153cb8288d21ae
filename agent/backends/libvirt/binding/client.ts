import { LibvirtError } from './errors.js';
import { LibvirtCallFailure } from './failure.js';
import type { OpName, OpTable } from './protocol.js';
import { libvirtQueue, type SerialQueue } from './queue.js';
import type { OpHandlers } from './session.js';

interface Pending {
  readonly action: string;
  readonly op: OpName;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: LibvirtError) => void;
  timer?: NodeJS.Timeout;
}

/** bindingError builds a LibvirtError for failures that did not come from libvirt (timeout, closed, bug). */
export function bindingError(op: string, action: string, code: string, message: string): LibvirtError {
  const raw = { op, symbol: '', libvirtCode: 0, domain: 0, message };
  return new LibvirtError(raw, { action, code, retryable: code === 'libvirt_timeout' });
}

function toLibvirtError(op: OpName, action: string, err: unknown): LibvirtError {
  if (err instanceof LibvirtCallFailure) {
    const { symbol, libvirtCode, domain, message } = err;
    return new LibvirtError({ op, symbol, libvirtCode, domain, message }, { action });
  }
  const message = err instanceof Error ? err.message : String(err);
  return bindingError(op, action, 'libvirt_internal', message);
}

/**
 * LibvirtClientOptions: the per-call timeout, the backend's operations and the session they share
 * (koffiClient.ts, rpc/client.ts), and the queue (default: the process-wide libvirt queue).
 */
export interface LibvirtClientOptions<S> {
  readonly timeoutMs: number;
  readonly handlers: OpHandlers<S>;
  readonly session: S;
  readonly queue?: SerialQueue;
}

/** OpClient is what the code above a backend calls: one request at a time in, a result or LibvirtError out. */
export interface OpClient {
  request<K extends OpName>(op: K, args: OpTable[K]['args'], action: string): Promise<OpTable[K]['result']>;
  terminate(): Promise<void>;
}

/**
 * LibvirtClient is the Promise API over one libvirt connection, whichever backend serves it. Each
 * request runs its operation on a queue (one at a time) under a timeout; no pointer leaves a backend.
 */
export class LibvirtClient<S = unknown> implements OpClient {
  readonly #session: S;
  readonly #handlers: OpHandlers<S>;
  readonly #queue: SerialQueue;
  readonly #timeoutMs: number;
  readonly #pending = new Set<Pending>();
  #failure: string | null = null;

  constructor(opts: LibvirtClientOptions<S>) {
    this.#timeoutMs = opts.timeoutMs;
    this.#handlers = opts.handlers;
    this.#session = opts.session;
    this.#queue = opts.queue ?? libvirtQueue;
  }

  /** request runs one operation and resolves with its result; action phrases the error message. */
  request<K extends OpName>(op: K, args: OpTable[K]['args'], action: string): Promise<OpTable[K]['result']> {
    if (this.#failure !== null)
      return Promise.reject(bindingError(op, action, 'libvirt_closed', this.#failure));
    return new Promise((resolve, reject) => {
      const pending: Pending = { action, op, resolve: resolve as (v: unknown) => void, reject };
      pending.timer = setTimeout(() => this.#timeout(pending), this.#timeoutMs);
      this.#pending.add(pending);
      void this.#queue.run(() => this.#execute(pending, args));
    });
  }

  /** terminate closes the client: pending and later requests reject with code 'libvirt_closed'. */
  async terminate(): Promise<void> {
    this.#failure ??= 'connection is closed';
    for (const pending of [...this.#pending]) {
      this.#settle(pending)?.reject(
        bindingError(pending.op, pending.action, 'libvirt_closed', this.#failure),
      );
    }
  }

  // Runs on the queue. A request already settled (timed out or closed while it waited) is not run.
  // A started operation always runs to its end, even past its timeout: its C calls cannot be
  // interrupted, and its handles and buffers must be freed only after they return.
  async #execute<K extends OpName>(pending: Pending, args: OpTable[K]['args']): Promise<void> {
    if (!this.#pending.has(pending)) return;
    const handler = this.#handlers[pending.op] as (s: S, a: unknown) => Promise<unknown>;
    try {
      const value = await handler(this.#session, args);
      this.#settle(pending)?.resolve(value);
    } catch (err) {
      this.#settle(pending)?.reject(toLibvirtError(pending.op, pending.action, err));
    }
  }

  #settle(pending: Pending): Pending | undefined {
    if (!this.#pending.delete(pending)) return undefined; // settled before: a late answer is dropped
    clearTimeout(pending.timer);
    return pending;
  }

  // A request that times out while it waits is never run; one that is running runs to its end, and
  // later requests queue behind it.
  #timeout(pending: Pending): void {
    const message = `no answer from libvirt within ${this.#timeoutMs} ms`;
    this.#settle(pending)?.reject(bindingError(pending.op, pending.action, 'libvirt_timeout', message));
  }
}
