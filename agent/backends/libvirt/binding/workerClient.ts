import { Worker } from 'node:worker_threads';
import { LibvirtError } from './errors.js';
import type { OpName, OpRequest, OpResponse, OpTable, WireError } from './protocol.js';
import { isTypeScriptSource, tsBootstrapScript } from './tsWorkerLoader.js';

interface Pending {
  readonly action: string;
  readonly op: OpName;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: LibvirtError) => void;
  readonly timer: NodeJS.Timeout;
}

/** startLibvirtWorker starts worker.js beside this module, or worker.ts through the .ts hooks under vitest. */
export function startLibvirtWorker(): Worker {
  if (!isTypeScriptSource(import.meta.url)) return new Worker(new URL('./worker.js', import.meta.url));
  const entry = new URL('./worker.ts', import.meta.url).href;
  return new Worker(tsBootstrapScript(entry), { eval: true });
}

/** bindingError builds a LibvirtError for failures that did not come from libvirt (timeout, dead worker). */
export function bindingError(op: string, action: string, code: string, message: string): LibvirtError {
  const raw = { op, symbol: '', libvirtCode: 0, domain: 0, message };
  return new LibvirtError(raw, { action, code, retryable: code === 'libvirt_timeout' });
}

function wireToError(wire: WireError, action: string): LibvirtError {
  if (wire.kind === 'libvirt') return new LibvirtError(wire, { action });
  return bindingError(wire.op, action, 'libvirt_internal', wire.message);
}

/** LibvirtWorkerClient is the main thread's Promise API over the worker's message port; no pointers cross it. */
export class LibvirtWorkerClient {
  readonly #worker: Worker;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #failure: string | null = null;

  constructor(opts: { timeoutMs: number; worker?: Worker }) {
    this.#timeoutMs = opts.timeoutMs;
    this.#worker = opts.worker ?? startLibvirtWorker();
    // An idle worker must not keep the process alive; it is ref'd only while a request is in flight.
    this.#worker.unref();
    this.#worker.on('message', (res: OpResponse) => this.#settle(res));
    this.#worker.on('error', (err) => this.#fail(`libvirt worker crashed: ${err.message}`));
    this.#worker.on('exit', (code) => this.#fail(`libvirt worker exited with code ${code}`));
  }

  /** request sends one operation and resolves with its result; action phrases the error message. */
  request<K extends OpName>(op: K, args: OpTable[K]['args'], action: string): Promise<OpTable[K]['result']> {
    if (this.#failure !== null)
      return Promise.reject(bindingError(op, action, 'libvirt_closed', this.#failure));
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      const timer = setTimeout(() => this.#timeout(id), this.#timeoutMs);
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { action, op, resolve: resolve as (v: unknown) => void, reject, timer });
      this.#worker.postMessage({ id, op, args } satisfies OpRequest<K>);
    });
  }

  /** terminate stops the worker; pending and later requests reject with code 'libvirt_closed'. */
  async terminate(): Promise<void> {
    this.#fail('connection is closed');
    await this.#worker.terminate();
  }

  #take(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    if (pending === undefined) return undefined;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (this.#pending.size === 0) this.#worker.unref();
    return pending;
  }

  #settle(res: OpResponse): void {
    const pending = this.#take(res.id); // undefined after a timeout: the late answer is dropped
    if (pending === undefined) return;
    if (res.ok) pending.resolve(res.value);
    else pending.reject(wireToError(res.error, pending.action));
  }

  // A timed-out call keeps running on the worker (a sync C call cannot be interrupted); later requests
  // queue behind it.
  #timeout(id: number): void {
    const pending = this.#take(id);
    const message = `no answer from the libvirt worker within ${this.#timeoutMs} ms`;
    pending?.reject(bindingError(pending.op, pending.action, 'libvirt_timeout', message));
  }

  #fail(reason: string): void {
    this.#failure ??= reason;
    for (const id of [...this.#pending.keys()]) {
      const pending = this.#take(id);
      pending?.reject(bindingError(pending.op, pending.action, 'libvirt_closed', reason));
    }
  }
}
