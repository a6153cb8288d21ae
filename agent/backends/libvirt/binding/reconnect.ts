import { isLibvirtError } from './errors.js';
import { VIR_FROM_RPC } from './constants.js';
import type { OpName, OpTable } from './protocol.js';
import type { OpClient } from './client.js';

const LOST_CONNECTION_RE =
  /client socket is closed|end of file while reading|cannot (recv|write) data|broken pipe|connection reset/i;

/** isConnectionLost tells a dead libvirtd connection apart from an error about the request itself. */
export function isConnectionLost(err: unknown): boolean {
  return isLibvirtError(err) && (err.domain === VIR_FROM_RPC || LOST_CONNECTION_RE.test(err.libvirtMessage));
}

/**
 * ReconnectingClient reopens the connection once and retries when libvirtd went away under us
 * (a libvirtd restart keeps the domains running but closes every client socket). Every operation
 * the agent issues is a read or an idempotent step, so one retry is safe.
 */
export class ReconnectingClient {
  // bumped on every reopen: a caller whose call failed on an older connection just retries
  private generation = 0;
  private reopening: Promise<void> | null = null;

  constructor(
    private readonly inner: OpClient,
    private readonly uri: string,
  ) {}

  /** request runs one operation, reconnecting once if the connection was lost. */
  async request<K extends OpName>(
    op: K,
    args: OpTable[K]['args'],
    action: string,
  ): Promise<OpTable[K]['result']> {
    const seen = this.generation;
    try {
      return await this.inner.request(op, args, action);
    } catch (err) {
      if (op === 'open' || op === 'close' || !isConnectionLost(err)) throw err;
      await this.reopen(seen);
      return this.inner.request(op, args, action);
    }
  }

  /** reopen replaces a lost connection once, however many calls noticed the loss at the same time. */
  private reopen(seen: number): Promise<void> {
    if (this.generation !== seen) return Promise.resolve();
    this.reopening ??= (async () => {
      try {
        await this.inner.request('close', {}, 'close the lost libvirt connection').catch(() => undefined);
        await this.inner.request(
          'open',
          { uri: this.uri },
          `reopen libvirt connection ${JSON.stringify(this.uri)}`,
        );
        this.generation++;
      } finally {
        this.reopening = null;
      }
    })();
    return this.reopening;
  }

  /** terminate closes the client. */
  terminate(): Promise<void> {
    return this.inner.terminate();
  }
}
