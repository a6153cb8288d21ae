import type { Logger } from '../../shared/log.js';
import type { AuditInput, AuditJournal } from '../audit/index.js';

/** UNAUTH_SUMMARY_MS is how long unauthenticated write attempts are counted before one summary entry. */
export const UNAUTH_SUMMARY_MS = 60_000;

/** MAX_PEERS_NAMED bounds the peer addresses a summary entry names (the rest are counted). */
const MAX_PEERS_NAMED = 8;

/** UnauthTallyOptions: the interval and, for tests, the timer functions. */
export interface UnauthTallyOptions {
  intervalMs?: number;
  setTimer?: (fn: () => void, ms: number) => { unref?: () => void };
}

/**
 * UnauthTally keeps an unauthenticated flood out of the audit log. The first refused write without
 * a valid token in an interval is audited as it happens (op, peer, `rejected:unauthorized`); the
 * rest of that interval are only counted, per peer address, and written as ONE summary entry
 * (`op: unauthenticated.summary`, `result: rejected:unauthorized x<count>`) when the interval ends
 * or on flush(). So a flood adds at most two entries per interval, and nothing goes unrecorded.
 */
export class UnauthTally {
  private open = false;
  private count = 0;
  private peers = new Map<string, number>();
  private readonly intervalMs: number;
  private readonly setTimer: NonNullable<UnauthTallyOptions['setTimer']>;

  constructor(
    private readonly audit: AuditJournal,
    private readonly log: Logger,
    o: UnauthTallyOptions = {},
  ) {
    this.intervalMs = o.intervalMs ?? UNAUTH_SUMMARY_MS;
    this.setTimer = o.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  }

  /** note records one refused unauthenticated write; only the interval's first is appended now. */
  async note(entry: AuditInput, peer: string): Promise<void> {
    if (!this.open) {
      this.open = true;
      this.setTimer(() => void this.flush(), this.intervalMs).unref?.();
      await this.append(entry);
      return;
    }
    this.count += 1;
    this.peers.set(peer, (this.peers.get(peer) ?? 0) + 1);
  }

  /** flush writes the summary of what was only counted so far and starts a new interval. */
  async flush(): Promise<void> {
    this.open = false;
    if (this.count === 0) return;
    const count = this.count;
    const ranked = [...this.peers].sort((x, y) => y[1] - x[1]);
    const named = ranked.slice(0, MAX_PEERS_NAMED).map(([p, n]) => `${p}=${n}`);
    const more = ranked.length > MAX_PEERS_NAMED ? ` +${ranked.length - MAX_PEERS_NAMED} peers` : '';
    this.count = 0;
    this.peers = new Map();
    await this.append({
      tenant: null,
      vm: null,
      op: 'unauthenticated.summary',
      source: `http ${named.join(',')}${more} anonymous`,
      result: `rejected:unauthorized x${count}`,
    });
  }

  private async append(entry: AuditInput): Promise<void> {
    await this.audit
      .append(entry)
      .then(() => undefined)
      .catch((err) => this.log.error('audit of a rejected write failed', { err, op: entry.op }));
  }
}
