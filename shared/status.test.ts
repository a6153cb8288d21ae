import { describe, expect, it, vi } from 'vitest';
import { startStatus } from './status.js';

describe('startStatus', () => {
  it('sends STATUS= at start and then only when the line changes', () => {
    vi.useFakeTimers();
    try {
      const sent: string[] = [];
      let line = 'a';
      const stop = startStatus(() => line, { intervalMs: 1_000, notify: (s) => sent.push(s) > 0 });
      vi.advanceTimersByTime(3_000);
      line = 'b\nc';
      vi.advanceTimersByTime(1_000);
      stop();
      line = 'd';
      vi.advanceTimersByTime(5_000);
      expect(sent).toEqual(['STATUS=a', 'STATUS=b c']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('skips a line that throws and keeps going', () => {
    vi.useFakeTimers();
    try {
      const sent: string[] = [];
      let fail = true;
      const stop = startStatus(
        () => {
          if (fail) throw new Error('not yet');
          return 'ok';
        },
        { intervalMs: 100, notify: (s) => sent.push(s) > 0 },
      );
      fail = false;
      vi.advanceTimersByTime(100);
      stop();
      expect(sent).toEqual(['STATUS=ok']);
    } finally {
      vi.useRealTimers();
    }
  });
});
