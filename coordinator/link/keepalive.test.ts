import { describe, expect, it } from 'vitest';
import { type KeepaliveState, keepaliveRound, keepaliveSweep } from './keepalive.js';

describe('keepaliveRound', () => {
  it('sends no ping to a socket heard from since the last round (a beating agent)', () => {
    const s: KeepaliveState = { heard: false, pinged: false };
    for (let i = 0; i < 5; i++) {
      s.heard = true; // a beat arrived
      expect(keepaliveRound(s, false)).toBe('none');
    }
  });

  it('pings a quiet socket, keeps it when the pong comes, and terminates it when none does', () => {
    const s: KeepaliveState = { heard: false, pinged: false };
    expect(keepaliveRound(s, false)).toBe('ping');
    s.heard = true; // pong
    expect(keepaliveRound(s, false)).toBe('none');
    expect(keepaliveRound(s, false)).toBe('ping');
    expect(keepaliveRound(s, false)).toBe('terminate');
  });

  it('terminates no one in a round that runs late: the pong may be unread behind the stall', () => {
    const s: KeepaliveState = { heard: false, pinged: false };
    expect(keepaliveRound(s, false)).toBe('ping');
    expect(keepaliveRound(s, true)).toBe('ping');
    s.heard = true;
    expect(keepaliveRound(s, false)).toBe('none');
  });
});

describe('keepaliveSweep', () => {
  const fleet = (n: number) =>
    Array.from({ length: n }, () => ({
      state: { heard: false, pinged: false } as KeepaliveState,
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
    const done = keepaliveSweep(socks, (w) => w.state, false, 500);
    // the first turn pinged 500; the rest wait for later turns, after the I/O queued meanwhile
    expect(socks.filter((w) => w.pings === 1).length).toBe(500);
    await done;
    expect(socks.every((w) => w.pings === 1)).toBe(true);
    // next round: none answered, so every one is terminated, and none pinged again
    await keepaliveSweep(socks, (w) => w.state, false, 500);
    expect(socks.every((w) => w.ended && w.pings === 1)).toBe(true);
  });

  it('skips a socket closed between turns and stops when told', async () => {
    const socks = new Set(fleet(1_000));
    const list = [...socks];
    let stop = false;
    const done = keepaliveSweep(
      socks,
      (w) => w.state,
      false,
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
});
