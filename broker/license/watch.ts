import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { Logger } from '../../shared/log.js';
import { checkLicense, type LicenseVerdict } from './license.js';

/** LicenseWatchOptions: where the license and revocations live, how often to look, and whom to tell. */
export interface LicenseWatchOptions {
  licensePath: string;
  revocationsPath?: string;
  key: KeyObject;
  intervalMs: number;
  log: Logger;
  onChange: (verdict: LicenseVerdict) => void;
  now?: () => number;
}

/**
 * LicenseWatch checks the license at start, every intervalMs, and at the instant it expires, and
 * reports each change of verdict (valid ↔ invalid, or a new reason) to onChange.
 */
export class LicenseWatch {
  private verdict: LicenseVerdict | null = null;
  private timer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: LicenseWatchOptions) {}

  /** start runs the first check now and schedules the rest. */
  start(): LicenseVerdict {
    const v = this.check();
    this.timer = setInterval(() => this.check(), this.o.intervalMs);
    this.timer.unref();
    return v;
  }

  /** stop ends the checks. */
  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.expiryTimer);
  }

  /** current is the last verdict. */
  current(): LicenseVerdict | null {
    return this.verdict;
  }

  /** check re-reads the files and reports a changed verdict. */
  check(): LicenseVerdict {
    const now = (this.o.now ?? Date.now)();
    const v = checkLicense(readOrNull(this.o.licensePath), this.o.key, { now, revoked: this.revoked() });
    const changed =
      this.verdict === null ||
      this.verdict.valid !== v.valid ||
      (!v.valid && !this.verdict.valid && v.reason !== this.verdict.reason) ||
      (v.valid && this.verdict.valid && v.license.id !== this.verdict.license.id);
    this.verdict = v;
    if (v.valid) this.armExpiry(Date.parse(v.license.expires_at) - now);
    if (changed) {
      if (v.valid)
        this.o.log.info('license valid', { license_id: v.license.id, expires_at: v.license.expires_at });
      else this.o.log.error('license invalid', { reason: v.reason, detail: v.detail });
      this.o.onChange(v);
    }
    return v;
  }

  private armExpiry(inMs: number): void {
    clearTimeout(this.expiryTimer);
    // setTimeout holds at most ~24.8 days; the periodic check covers longer horizons
    if (inMs > 2 ** 31 - 1) return;
    this.expiryTimer = setTimeout(() => this.check(), Math.max(0, inMs) + 1);
    this.expiryTimer.unref();
  }

  private revoked(): Set<string> {
    if (!this.o.revocationsPath) return new Set();
    const text = readOrNull(this.o.revocationsPath);
    if (text === null) return new Set();
    try {
      const ids = (JSON.parse(text) as { revoked?: unknown }).revoked;
      return new Set(Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : []);
    } catch {
      this.o.log.warn('license revocations unreadable', { path: this.o.revocationsPath });
      return new Set();
    }
  }
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
