import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVENESS, downAfterMs, heartbeatIntervalMs } from '../registry/liveness.js';
import {
  KEEPALIVE_MS,
  KEEPALIVE_QUIET_CAP_MS,
  type KeepaliveState,
  keepaliveRound,
  keepaliveSweep,
  quietRounds,
  type RoundRule,
} from './keepalive.js';

const fresh = (): KeepaliveState => ({ heard: false, pinged: false, quiet: 0 });
const ON_TIME: RoundRule = { stalled: false, quietRounds: 1 };
const LATE: RoundRule = { stalled: true, quietRounds: 1 };

describe('keepaliveRound', () => {
  it('sends no ping to a socket heard from since the last round (a beating agent)', () => {
    const s = fresh();
    for (let i = 0; i < 5; i++) {
      s.heard = true; // a beat arrived
      expect(keepaliveRound(s, ON_TIME)).toBe('none');
    }
  });

  it('pings a quiet socket, keeps it when the pong comes, and terminates it when none does', () => {
    const s = fresh();
    expect(keepaliveRound(s, ON_TIME)).toBe('ping');
    s.heard = true; // pong
    expect(keepaliveRound(s, ON_TIME)).toBe('none');
    expect(keepaliveRound(s, ON_TIME)).toBe('ping');
    expect(keepaliveRound(s, ON_TIME)).toBe('terminate');
  });

  it('terminates no one in a round that runs late: the pong may be unread behind the stall', () => {
    const s = fresh();
    expect(keepaliveRound(s, ON_TIME)).toBe('ping');
    expect(keepaliveRound(s, LATE)).toBe('ping');
    s.heard = true;
    expect(keepaliveRound(s, ON_TIME)).toBe('none');
  });
});

describe('quietRounds (the fleet-scaled silence before a ping)', () => {
  it('pings a small fleet after one silent round, as before', () => {
    expect(quietRounds(1)).toBe(1);
    expect(quietRounds(500)).toBe(1);
    expect(quietRounds(2_000)).toBe(4); // 20 s
  });

  it('is capped, so a dead peer is found within about a minute at any fleet size', () => {
    expect(quietRounds(10_000) * KEEPALIVE_MS).toBe(KEEPALIVE_QUIET_CAP_MS);
    expect(quietRounds(1_000_000) * KEEPALIVE_MS).toBe(KEEPALIVE_QUIET_CAP_MS);
  });

  it('stays under a sixth of the node down deadline the same fleet size gets', () => {
    for (const n of [1, 100, 250, 251, 999, 1_000, 2_500, 3_001, 10_000, 50_000]) {
      const down = downAfterMs(DEFAULT_LIVENESS, heartbeatIntervalMs(DEFAULT_LIVENESS, n, 0));
      // the first silent round may come at once, so the ping is due within quietRounds rounds
      expect(quietRounds(n) * KEEPALIVE_MS, `fleet ${n}`).toBeLessThanOrEqual(
        Math.max(down / 6, KEEPALIVE_MS),
      );
    }
  });

  it('pings a quiet socket only after its quiet rounds, and terminates it a round later', () => {
    const s = fresh();
    const rule: RoundRule = { stalled: false, quietRounds: 3 };
    expect([1, 2, 3].map(() => keepaliveRound(s, rule))).toEqual(['none', 'none', 'ping']);
    expect(keepaliveRound(s, rule)).toBe('terminate');
    // a frame at any point restarts the count
    const t = fresh();
    expect(keepaliveRound(t, rule)).toBe('none');
    t.heard = true;
    expect(keepaliveRound(t, rule)).toBe('none');
    expect([1, 2, 3].map(() => keepaliveRound(t, rule))).toEqual(['none', 'none', 'ping']);
  });
});

describe('keepaliveSweep', () => {
  const fleet = (n: number) =>
    Array.from({ length: n }, () => ({
      state: fresh(),
      pings: 0,
      ended: false,
      ping() {
        this.pings++;
      },
      terminate() {
        this.ended = true;
      },
    }));

  it('visits a slice of sockets per event-loop turn, and every socket once per round', async () => {
    const socks = fleet(1_200);
    const done = keepaliveSweep(socks, (w) => w.state, ON_TIME, 500);
    // the first turn pinged 500; the rest wait for later turns, after the I/O queued meanwhile
    expect(socks.filter((w) => w.pings === 1).length).toBe(500);
    await done;
    expect(socks.every((w) => w.pings === 1)).toBe(true);
    // next round: none answered, so every one is terminated, and none pinged again
    await keepaliveSweep(socks, (w) => w.state, ON_TIME, 500);
    expect(socks.every((w) => w.ended && w.pings === 1)).toBe(true);
  });

  it('skips a socket closed between turns and stops when told', async () => {
    const socks = new Set(fleet(1_000));
    const list = [...socks];
    let stop = false;
    const done = keepaliveSweep(
      socks,
      (w) => w.state,
      ON_TIME,
      300,
      () => stop,
    );
    socks.delete(list[900]!); // closed before its turn came
    await new Promise((r) => setImmediate(r));
    expect(list.filter((w) => w.pings === 1).length).toBe(600);
    stop = true;
    await done;
    expect(list.filter((w) => w.pings === 1).length).toBe(600);
    expect(list[900]!.pings).toBe(0);
  });

  it('at 10,000 silent sockets that answer every ping, sends ~154 pings/s instead of 1,000', async () => {
    const socks = fleet(10_000);
    const rule: RoundRule = { stalled: false, quietRounds: quietRounds(socks.length) };
    let before = 0;
    const rounds = 26; // 130 s
    for (let r = 0; r < rounds; r++) {
      await keepaliveSweep(socks, (w) => w.state, rule, 5_000);
      for (const w of socks) if (w.pings > before) w.state.heard = true; // the pong
      before = Math.max(...socks.map((w) => w.pings));
    }
    const perS = socks.reduce((n, w) => n + w.pings, 0) / ((rounds * KEEPALIVE_MS) / 1000);
    expect(perS).toBeLessThanOrEqual(160);
    expect(perS).toBeGreaterThan(100);
    expect(socks.every((w) => !w.ended)).toBe(true);
  });
});
