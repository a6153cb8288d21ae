import { isVmpoolError } from '../../shared/errors.js';
import type { Store } from '../store/index.js';

/** Durable is how a change and its audited event ended. */
export type Durable =
  | { kind: 'ok' }
  | { kind: 'write_failed'; err: unknown; audited: boolean }
  | { kind: 'audit_failed'; err: unknown };

/**
 * durably waits for a change's store write and its event (whose audit entry the bus waits for).
 * A store that allows it (Store.auditAlongside) has both written at once, so the change costs one
 * durable wait, not two in a row; otherwise the event is emitted only once the write is durable.
 * With the audit alongside, a write that fails may follow an entry already written: the caller
 * records that the change did not stand (the claim book emits vm.failed).
 */
export async function durably(
  store: Pick<Store, 'auditAlongside'>,
  written: Promise<void>,
  emit: () => Promise<void>,
): Promise<Durable> {
  if (!store.auditAlongside) {
    try {
      await written;
    } catch (err) {
      return { kind: 'write_failed', err, audited: false };
    }
    return emit().then(
      (): Durable => ({ kind: 'ok' }),
      (err: unknown): Durable => ({ kind: 'audit_failed', err }),
    );
  }
  const [w, e] = await Promise.allSettled([written, emit()]);
  if (w.status === 'rejected')
    return { kind: 'write_failed', err: w.reason, audited: e.status === 'fulfilled' };
  return e.status === 'rejected' ? { kind: 'audit_failed', err: e.reason } : { kind: 'ok' };
}

/** codeOf is an error's stable code, for the vm.failed that follows a failed write ('internal' when it has none). */
export function codeOf(err: unknown): string {
  return isVmpoolError(err) ? err.code : 'internal';
}
