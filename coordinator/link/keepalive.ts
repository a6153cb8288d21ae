/** KEEPALIVE_MS is how often the link checks that each agent socket is still there. */
export const KEEPALIVE_MS = 5_000;

/**
 * KEEPALIVE_PINGS_PER_S is the fleet-wide budget of pings the link aims for: a socket is pinged only
 * after it has been silent for `sockets / KEEPALIVE_PINGS_PER_S` seconds (at least one round). A
 * large fleet beats rarely (200 s at 10,000 nodes, registry/liveness.ts), so without a budget every
 * socket was pinged every other round: 1,000 pings and 1,000 pongs a second through the event loop
 * for nothing but TCP liveness.
 */
export const KEEPALIVE_PINGS_PER_S = 100;

/**
 * KEEPALIVE_QUIET_CAP_MS caps that silence, so a dead TCP peer (a host that lost power sends no
 * FIN) is closed at most a round after the cap (65 s after its last frame) at any fleet size, unless
 * the coordinator's own loop stalls. The node's down deadline is
 * three beat intervals, and an interval is at least `nodes / 50` s, so past the one-round minimum
 * the silence before a ping is never more than a sixth of it (600 s at 10,000 nodes).
 */
export const KEEPALIVE_QUIET_CAP_MS = 60_000;

/** quietRounds is how many silent rounds a socket waits before its ping, for a fleet of `sockets`. */
export function quietRounds(sockets: number): number {
  const quietMs = Math.min(
    KEEPALIVE_QUIET_CAP_MS,
    Math.max(KEEPALIVE_MS, (sockets / KEEPALIVE_PINGS_PER_S) * 1000),
  );
  return Math.max(1, Math.floor(quietMs / KEEPALIVE_MS));
}

/**
 * KeepaliveState is one socket's state between rounds: heard from since the last one, how many
 * rounds it has been silent, ping unanswered.
 */
export interface KeepaliveState {
  heard: boolean;
  pinged: boolean;
  /** quiet counts the rounds since the socket was last heard from (reset by any frame) */
  quiet: number;
}

/** newKeepaliveState is a socket's state when it opens: just heard from. */
export function newKeepaliveState(): KeepaliveState {
  return { heard: true, pinged: false, quiet: 0 };
}

/** KeepaliveAction is what one round does to a socket. */
export type KeepaliveAction = 'none' | 'ping' | 'terminate';

/** RoundRule is what one round knows about itself: whether it runs late, and the fleet's quiet bound. */
export interface RoundRule {
  /** stalled: the round's timer fired late (the coordinator's own loop did not run) */
  readonly stalled: boolean;
  /** quietRounds: silent rounds before a ping (quietRounds(fleet size)) */
  readonly quietRounds: number;
}

/**
 * keepaliveRound decides one socket's round and moves its state. Any frame since the last round
 * (a beat, a pong) proves the peer is there: no ping is sent, so a fleet beating every second costs
 * no ping traffic (at 10,000 agents that was 4,000 frames/s). A socket silent for `quietRounds`
 * rounds is pinged; one pinged last round and not heard from since is terminated, unless this
 * round runs late (`stalled`): the coordinator's own loop did not run, so the pong may be waiting
 * unread in the socket.
 */
export function keepaliveRound(s: KeepaliveState, rule: RoundRule): KeepaliveAction {
  if (s.heard) {
    s.heard = false;
    s.pinged = false;
    s.quiet = 0;
    return 'none';
  }
  if (s.pinged) return rule.stalled ? 'ping' : 'terminate';
  if (++s.quiet < rule.quietRounds) return 'none';
  s.pinged = true;
  return 'ping';
}

/** Pingable is what a keepalive round needs of a socket. */
export interface Pingable {
  ping(): void;
  terminate(): void;
}

/**
 * KEEPALIVE_SLICE is how many sockets one event-loop turn of a round visits. A round still visits
 * every socket (10,000 at 10,000 agents) and pings the quiet ones; before quietRounds every silent
 * socket was pinged, and 10,000 ping writes in one turn held the loop for 34-66 ms (the creates
 * bench's longest stall then). 500 a turn is ~2-3 ms at worst.
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
  rule: RoundRule,
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
        const action = s ? keepaliveRound(s, rule) : 'none';
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
 * turn (keepaliveSweep), pings only sockets quiet for the fleet's bound (quietRounds of the
 * current count), and a round whose timer fired late (the loop stalled) terminates no one.
 */
export function startKeepalive<W extends Pingable>(
  clients: () => ReadonlySet<W>,
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
      const socks = clients();
      const rule = { stalled, quietRounds: quietRounds(socks.size) };
      void keepaliveSweep(socks, stateOf, rule, KEEPALIVE_SLICE, () => stopped);
    });
  }, KEEPALIVE_MS).unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
