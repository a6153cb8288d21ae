import * as ws from 'ws';

/** FragmentHolder is the part of ws's Receiver this module relies on (ws 8.x, not in its types). */
interface FragmentHolder {
  _fragments: unknown[];
  dataMessage(...args: unknown[]): unknown;
}

type ReceiverClass = { prototype: FragmentHolder };

const RELEASED = Symbol.for('vmpool.ws.fragmentsReleased');

/**
 * releaseWsFragments makes ws's Receiver empty the fragment list of each message once the message is
 * delivered. ws replaces the list with a fresh `[]` per message; on a socket read once a second that
 * empty array is promoted to the old generation before the next message is pushed into it, and once
 * replaced, the dead array still points at that message's chunk, which scavenges then keep and
 * promote (with its ArrayBuffer, counted as external memory until the next mark-compact). At 10,000
 * agents that was ~4.5 MB/s of promoted chunks and a mark-compact every ~15 s. The emptied list is
 * then reused, so the fresh `[]` dies young instead of being promoted. Returns false (and
 * changes nothing) when the Receiver is not the shape this was written against.
 */
export function releaseWsFragments(
  Receiver: unknown = (ws as unknown as { Receiver?: unknown }).Receiver,
): boolean {
  const proto = (Receiver as ReceiverClass | undefined)?.prototype;
  if (typeof proto?.dataMessage !== 'function') return false;
  const owner = proto as unknown as Record<symbol, boolean>;
  if (owner[RELEASED]) return true;
  const deliver = proto.dataMessage;
  proto.dataMessage = function (this: FragmentHolder, ...args: unknown[]) {
    const fragments = this._fragments;
    const out = deliver.apply(this, args);
    // a finished message was handed over (the list was replaced): its old list is emptied and, while
    // the fresh one is still empty, kept instead of it, so a socket's list is not a new young object
    // per message (one survivor, and one old-to-new pointer, per socket per beat)
    if (this._fragments !== fragments && Array.isArray(fragments)) {
      fragments.length = 0;
      if (this._fragments.length === 0) this._fragments = fragments;
    }
    return out;
  };
  owner[RELEASED] = true;
  return true;
}
