import { VmpoolError } from '../../shared/errors.js';

/**
 * LinkError reports a request the agent did not answer. `node_unavailable`: never sent, safe to try
 * elsewhere. `agent_disconnected` / `agent_timeout`: sent, outcome unknown until the agent reports.
 */
export class LinkError extends VmpoolError {
  constructor(
    code: 'node_unavailable' | 'agent_disconnected' | 'agent_timeout',
    message: string,
    opts: { details?: Record<string, unknown> } = {},
  ) {
    super(code, message, { retryable: true, ...opts });
    this.name = 'LinkError';
  }
}

interface Waiter<T> {
  readonly nodeId: string;
  readonly resolve: (v: T) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** PendingRequests matches agent answers to the requests that asked for them, by request id. */
export class PendingRequests<T> {
  private readonly waiters = new Map<string, Waiter<T>>();

  /** wait registers a request id and resolves with the agent's answer or rejects on timeout. */
  wait(requestId: string, nodeId: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(requestId);
        reject(
          new LinkError(
            'agent_timeout',
            `Cannot finish request ${requestId} on node "${nodeId}": no answer in ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.waiters.set(requestId, { nodeId, resolve, reject, timer });
    });
  }

  /** settle delivers an answer from nodeId; unknown ids (late answers) and other nodes' answers are ignored. */
  settle(requestId: string, nodeId: string, value: T): boolean {
    const w = this.waiters.get(requestId);
    if (!w || w.nodeId !== nodeId) return false;
    clearTimeout(w.timer);
    this.waiters.delete(requestId);
    w.resolve(value);
    return true;
  }

  /** failNode rejects every request waiting on a node whose socket closed. */
  failNode(nodeId: string): void {
    for (const [id, w] of this.waiters) {
      if (w.nodeId !== nodeId) continue;
      clearTimeout(w.timer);
      this.waiters.delete(id);
      w.reject(
        new LinkError('agent_disconnected', `Cannot finish request ${id}: node "${nodeId}" disconnected`),
      );
    }
  }
}
