import { describe, expect, it } from 'vitest';
import { type KeepaliveState, keepaliveRound } from './keepalive.js';

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
