import { sdNotify } from './systemd.js';

/** StatusOptions injects the clock tick and the notifier, for tests. */
export interface StatusOptions {
  intervalMs?: number;
  notify?: (state: string) => boolean;
}

/**
 * startStatus sends `STATUS=<line>` to systemd whenever the computed line changes (checked every
 * intervalMs, 2 s by default), so `systemctl status` shows the service's state at a glance.
 * Returns the function that stops it; a line that throws is skipped, never fatal.
 */
export function startStatus(compute: () => string, opts: StatusOptions = {}): () => void {
  const notify = opts.notify ?? ((state: string) => sdNotify(state));
  let last = '';
  const tick = () => {
    let line: string;
    try {
      line = compute();
    } catch {
      return;
    }
    if (line === last) return;
    last = line;
    notify(`STATUS=${line.replace(/\n/g, ' ')}`);
  };
  tick();
  const timer = setInterval(tick, opts.intervalMs ?? 2_000);
  timer.unref();
  return () => clearInterval(timer);
}

/** plural writes "1 VM" / "3 VMs". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
