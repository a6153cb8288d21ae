/** KEEPALIVE_MS is how often the link checks that each agent socket is still there. */
export const KEEPALIVE_MS = 5_000;

/** KeepaliveState is one socket's state between rounds: heard from since the last one, ping unanswered. */
export interface KeepaliveState {
  heard: boolean;
  pinged: boolean;
}

/** KeepaliveAction is what one round does to a socket. */
export type KeepaliveAction = 'none' | 'ping' | 'terminate';

/**
 * keepaliveRound decides one socket's round and moves its state. Any frame since the last round
 * (a beat, a pong) proves the peer is there: no ping is sent, so a fleet beating every second costs
 * no ping traffic (at 10,000 agents that was 4,000 frames/s). A socket pinged last round and heard
 * from since is terminated, unless this round runs late (`stalled`): the coordinator's own loop did
 * not run, so the pong may be waiting unread in the socket.
 */
export function keepaliveRound(s: KeepaliveState, stalled: boolean): KeepaliveAction {
  if (s.heard) {
    s.heard = false;
    s.pinged = false;
    return 'none';
  }
  if (s.pinged && !stalled) return 'terminate';
  s.pinged = true;
  return 'ping';
}

/** Pingable is what a keepalive round needs of a socket. */
export interface Pingable {
  ping(): void;
  terminate(): void;
}

/**
 * KEEPALIVE_SLICE is how many sockets one event-loop turn of a round visits. At 10,000 agents on
 * a 200 s beat interval every socket is pinged each round, and 10,000 ping writes in one turn held
 * the loop for 34-66 ms (the creates bench's longest stall); 500 a turn is ~2-3 ms.
 */
export const KEEPALIVE_SLICE = 500;

/**
 * keepaliveSweep runs one round over `clients`, `slice` sockets per event-loop turn (the rest after
 * the I/O queued meanwhile), and resolves when every socket was visited or `stopped()` says so.
 * Sockets are visited through the live iterator: one closed meanwhile is skipped, one that joined
 * is visited or left to the next round.
 */
export function keepaliveSweep<W extends Pingable>(
  clients: Iterable<W>,
  stateOf: (ws: W) => KeepaliveState | undefined,
  stalled: boolean,
  slice = KEEPALIVE_SLICE,
  stopped: () => boolean = () => false,
): Promise<void> {
  const it = clients[Symbol.iterator]();
  return new Promise<void>((resolve) => {
    const turn = () => {
      for (let n = 0; n < slice; n++) {
        const next = it.next();
        if (next.done || stopped()) return resolve();
        const ws = next.value;
        const s = stateOf(ws);
        const action = s ? keepaliveRound(s, stalled) : 'none';
        if (action === 'terminate') ws.terminate();
        else if (action === 'ping') ws.ping();
      }
      setImmediate(turn);
    };
    turn();
  });
}

/**
 * startKeepalive runs a round over `clients` every KEEPALIVE_MS and returns the stop function. The
 * round runs after the I/O queued meanwhile has been read (setImmediate), a slice of sockets per
 * turn (keepaliveSweep), and a round whose timer fired late (the loop stalled) terminates no one.
 */
export function startKeepalive<W extends Pingable>(
  clients: () => Iterable<W>,
  stateOf: (ws: W) => KeepaliveState | undefined,
): () => void {
  let due = performance.now() + KEEPALIVE_MS;
  let stopped = false;
  const timer = setInterval(() => {
    const from = due;
    due = performance.now() + KEEPALIVE_MS;
    setImmediate(() => {
      // lateness counts up to the round itself: a long I/O callback between timer and round is a stall too
      const stalled = performance.now() - from > KEEPALIVE_MS / 5;
      void keepaliveSweep(clients(), stateOf, stalled, KEEPALIVE_SLICE, () => stopped);
    });
  }, KEEPALIVE_MS).unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
