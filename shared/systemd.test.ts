import { closeSync, fstatSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  journalFrame,
  journalSend,
  parseJournalFrame,
  loadSystemd,
  parseWatchdogEnv,
  type SystemdBinding,
  sdNotify,
  startWatchdog,
  underJournald,
  watchdogIntervalMs,
} from './systemd.js';
import { STRICT_TESTS } from './testing-env.js';

function fakeBinding(over: Partial<SystemdBinding> = {}): SystemdBinding {
  return {
    notify: () => 1,
    watchdogEnabledUsec: () => null,
    journalSendv: () => 0,
    journalDatagram: () => -38,
    journalListening: () => true,
    ...over,
  };
}

describe('sdNotify', () => {
  it.each([
    [1, true],
    [0, false],
    [-111, false],
  ])('gives true only when sd_notify returns a positive count (rc %s → %s)', (rc, expected) => {
    expect(sdNotify('READY=1', fakeBinding({ notify: () => rc }))).toBe(expected);
  });

  it('is a no-op returning false without libsystemd', () => {
    expect(sdNotify('READY=1', null)).toBe(false);
  });
});

describe('watchdog', () => {
  it.each([
    [{ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 30_000_000],
    [{ WATCHDOG_USEC: '30000000' }, 30_000_000],
    [{ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, null],
    [{ WATCHDOG_USEC: '0' }, null],
    [{ WATCHDOG_USEC: 'soon' }, null],
    [{}, null],
  ])('parseWatchdogEnv(%j) for pid 42 is %s', (env, expected) => {
    expect(parseWatchdogEnv(env, 42)).toBe(expected);
  });

  it('watchdogIntervalMs is half the timeout reported by libsystemd', () => {
    expect(watchdogIntervalMs(fakeBinding({ watchdogEnabledUsec: () => 30_000_000 }))).toBe(15_000);
    expect(watchdogIntervalMs(fakeBinding())).toBeNull();
  });

  const saved = { usec: process.env.WATCHDOG_USEC, pid: process.env.WATCHDOG_PID };
  afterEach(() => {
    for (const [key, value] of [
      ['WATCHDOG_USEC', saved.usec],
      ['WATCHDOG_PID', saved.pid],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it.skipIf(loadSystemd() === null && !STRICT_TESTS)(
    'the real sd_watchdog_enabled honours WATCHDOG_PID',
    () => {
      process.env.WATCHDOG_USEC = '8000000';
      process.env.WATCHDOG_PID = String(process.pid);
      expect(watchdogIntervalMs()).toBe(4000);
      process.env.WATCHDOG_PID = String(process.pid + 1);
      expect(watchdogIntervalMs()).toBeNull();
    },
  );

  it('startWatchdog pings WATCHDOG=1 each interval until stopped', () => {
    vi.useFakeTimers();
    try {
      const sent: string[] = [];
      const stop = startWatchdog({ intervalMs: 1000, notify: (s) => sent.push(s) > 0 });
      vi.advanceTimersByTime(3500);
      stop();
      vi.advanceTimersByTime(5000);
      expect(sent).toEqual(['WATCHDOG=1', 'WATCHDOG=1', 'WATCHDOG=1']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('startWatchdog without a watchdog never notifies', () => {
    vi.useFakeTimers();
    try {
      const sent: string[] = [];
      startWatchdog({ intervalMs: null, notify: (s) => sent.push(s) > 0 })();
      vi.advanceTimersByTime(60_000);
      expect(sent).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('journalFrame', () => {
  it('writes KEY=value lines in field order', () => {
    expect(journalFrame({ MESSAGE: 'vm placed', VMID: '120' })?.toString('utf8')).toBe(
      'MESSAGE=vm placed\nVMID=120\n',
    );
  });

  it('frames a value holding a newline by its byte length (u64 little-endian), UTF-8 counted in bytes', () => {
    const frame = journalFrame({ A: 'x', NOTE: 'één\ntwee', B: 'y' });
    const value = Buffer.from('één\ntwee', 'utf8');
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(value.length));
    expect(value.length).toBe(10);
    expect(frame).toEqual(Buffer.concat([Buffer.from('A=x\nNOTE\n'), size, value, Buffer.from('\nB=y\n')]));
  });

  it('is null for no fields', () => {
    expect(journalFrame({})).toBeNull();
  });
});

describe('journalSend', () => {
  it('sends one datagram in the native protocol and skips sd_journal_sendv when it is taken', () => {
    const frames: string[] = [];
    const sendv = vi.fn(() => 0);
    const binding = fakeBinding({
      journalDatagram: (frame) => {
        frames.push(frame.toString('utf8'));
        return frame.length;
      },
      journalSendv: sendv,
    });
    expect(journalSend({ MESSAGE: 'm', VM_NAME: 'web-1' }, binding)).toBe(true);
    expect(frames).toEqual(['MESSAGE=m\nVM_NAME=web-1\n']);
    expect(sendv).not.toHaveBeenCalled();
  });

  it('falls back to sd_journal_sendv when the datagram is refused (e.g. EMSGSIZE for a large entry)', () => {
    const sendv = vi.fn(() => 0);
    const binding = fakeBinding({ journalDatagram: () => -90, journalSendv: sendv });
    expect(journalSend({ MESSAGE: 'm' }, binding)).toBe(true);
    expect(sendv).toHaveBeenCalledOnce();
  });

  it.each([
    [-2, 'ENOENT'],
    [-111, 'ECONNREFUSED'],
  ])(
    'is false when no journald listens (%s, %s), without trying sd_journal_sendv (it would drop the entry)',
    (rc) => {
      const sendv = vi.fn(() => 0);
      expect(
        journalSend({ MESSAGE: 'm' }, fakeBinding({ journalDatagram: () => rc, journalSendv: sendv })),
      ).toBe(false);
      expect(sendv).not.toHaveBeenCalled();
    },
  );

  it('is false when a refused datagram finds no journald socket (a large entry would be dropped by sendv)', () => {
    const sendv = vi.fn(() => 0);
    const binding = fakeBinding({
      journalDatagram: () => -90,
      journalListening: () => false,
      journalSendv: sendv,
    });
    expect(journalSend({ MESSAGE: 'm' }, binding)).toBe(false);
    expect(sendv).not.toHaveBeenCalled();
  });

  it('reads a frame back into its fields, newline-framed values included', () => {
    const fields = { MESSAGE: 'vm placed', NOTE: 'één\ntwee', VMID: '7' };
    expect(parseJournalFrame(journalFrame(fields)!)).toEqual(fields);
  });

  it('passes one KEY=value buffer per field, newlines kept in the value', () => {
    let got: string[] = [];
    const ok = journalSend(
      { MESSAGE: 'two\nlines', VM_NAME: 'web-1' },
      fakeBinding({
        journalSendv: (bufs) => {
          got = bufs.map((b) => b.toString('utf8'));
          return 0;
        },
      }),
    );
    expect(ok).toBe(true);
    expect(got).toEqual(['MESSAGE=two\nlines', 'VM_NAME=web-1']);
  });

  it.each([
    ['both paths failing', fakeBinding({ journalSendv: () => -5 }), { MESSAGE: 'm' }],
    ['no libsystemd', null, { MESSAGE: 'm' }],
    ['no fields', fakeBinding(), {}],
  ])('is false with %s', (_label, binding, fields) => {
    expect(journalSend(fields, binding)).toBe(false);
  });
});

describe('underJournald', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmpool-systemd-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is true only when JOURNAL_STREAM names the dev:ino of the given fd', () => {
    const fd = openSync(join(dir, 'stream'), 'w');
    try {
      const st = fstatSync(fd, { bigint: true });
      expect(underJournald({ JOURNAL_STREAM: `${st.dev}:${st.ino}` }, fd)).toBe(true);
      expect(underJournald({ JOURNAL_STREAM: `${st.dev}:${st.ino + 1n}` }, fd)).toBe(false);
      expect(underJournald({ JOURNAL_STREAM: 'garbage' }, fd)).toBe(false);
      expect(underJournald({}, fd)).toBe(false);
    } finally {
      closeSync(fd);
    }
  });
});
