import type { Etcd3, Lease } from 'etcd3';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { Fence } from '../store/etcd-store.js';

/** Role is this coordinator's part: the leader, a follower, or cut off from an etcd quorum. */
export type Role = 'leader' | 'follower' | 'no_quorum';

/** LeaderInfo is what the election key holds: who leads, where to reach it, and its term. */
export interface LeaderInfo {
  id: string;
  url: string;
  /** term is the election key's create revision: it only grows, one per leadership */
  term: string;
}

/** ElectionOptions: one key all coordinators compete for, held by a lease of ttlSec. */
export interface ElectionOptions {
  client: Etcd3;
  key: string;
  id: string;
  /** url is where followers forward writes and send agents (this coordinator's advertised base URL) */
  url: string;
  ttlSec: number;
  pollMs?: number;
  timeoutMs?: number;
  log: Logger;
  /** onChange runs on every role change (in order; the next waits for the previous to finish) */
  onChange: (role: Role, leader: LeaderInfo | null) => Promise<void>;
}

/**
 * LeaderElection makes one coordinator leader: it creates the election key bound to its lease in a
 * transaction that succeeds only when the key does not exist. Losing the lease (paused, cut off)
 * deletes the key; another coordinator's next poll creates it with a higher create revision. The
 * fence is that create revision: every leader write compares on it, so a deposed leader's writes fail.
 */
export class LeaderElection {
  private roleNow: Role = 'follower';
  private leaderNow: LeaderInfo | null = null;
  private lease: Lease | null = null;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private lastOk = Date.now();
  private stopped = false;
  private ticking = false;

  constructor(private readonly o: ElectionOptions) {}

  /** role is the current role. */
  get role(): Role {
    return this.roleNow;
  }

  /** leader is the last leader seen (this coordinator when it leads), null when none is known. */
  get leader(): LeaderInfo | null {
    return this.leaderNow;
  }

  /** fence is the leadership writes must compare on, or null when this coordinator does not lead. */
  fence(): Fence | null {
    return this.roleNow === 'leader' && this.leaderNow
      ? { key: this.o.key, createRevision: this.leaderNow.term }
      : null;
  }

  /** start polls the election key until stop(). */
  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /** stop stops campaigning and, when leading, resigns by deleting the key it holds. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const fence = this.fence();
    if (fence) {
      const c = this.o.client;
      await c
        .if(fence.key, 'Create', '==', fence.createRevision)
        .then(c.delete().key(fence.key))
        .commit()
        .catch(() => undefined);
    }
    await this.lease?.revoke().catch(() => undefined);
    this.lease = null;
    await this.chain;
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.ticking) return;
    this.ticking = true;
    try {
      await this.observe();
      this.lastOk = Date.now();
    } catch (err) {
      // a leader that cannot reach etcd for a whole lease has surely lost it: stop leading first
      if (Date.now() - this.lastOk > this.o.ttlSec * 1000 || this.roleNow !== 'leader')
        this.become('no_quorum', null, `etcd unreachable: ${errorMessage(err)}`);
    } finally {
      this.ticking = false;
      if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.o.pollMs ?? 250);
    }
  }

  private async observe(): Promise<void> {
    const res = await this.o.client.get(this.o.key).options(this.deadline()).exec();
    const kv = res.kvs[0];
    if (!kv) return this.campaign();
    const info = {
      ...(JSON.parse(kv.value.toString()) as Omit<LeaderInfo, 'term'>),
      term: kv.create_revision,
    };
    if (this.roleNow === 'leader' && info.term === this.leaderNow?.term) return;
    this.become(info.id === this.o.id ? 'leader' : 'follower', info, 'election key observed');
  }

  private async campaign(): Promise<void> {
    const c = this.o.client;
    await this.lease?.revoke().catch(() => undefined);
    const lease = c.lease(this.o.ttlSec, { autoKeepAlive: true });
    this.lease = lease;
    lease.on('lost', (err) => {
      if (this.lease !== lease) return;
      this.lease = null;
      this.become('follower', null, `lease lost: ${errorMessage(err)}`);
      // learn the new leader now rather than at the next poll: until then agents and writes have nowhere to go
      clearTimeout(this.timer);
      void this.tick();
    });
    const leaseId = await lease.grant();
    const value = JSON.stringify({ id: this.o.id, url: this.o.url });
    const res = await c
      .if(this.o.key, 'Create', '==', 0)
      .then(c.put(this.o.key).value(value).lease(leaseId))
      .options(this.deadline())
      .commit();
    if (!res.succeeded) {
      this.lease = null;
      await lease.revoke().catch(() => undefined);
      return; // someone else won: the next poll reads who
    }
    this.become('leader', { id: this.o.id, url: this.o.url, term: res.header.revision }, 'campaign won');
  }

  private become(role: Role, leader: LeaderInfo | null, why: string): void {
    const changed = role !== this.roleNow || leader?.term !== this.leaderNow?.term;
    this.roleNow = role;
    this.leaderNow = leader;
    if (!changed) return;
    this.o.log.info('leadership changed', {
      role,
      leader_id: leader?.id ?? null,
      leader_url: leader?.url ?? null,
      term: leader?.term ?? null,
      reason: why,
    });
    this.chain = this.chain.then(() =>
      this.o.onChange(role, leader).catch((err) => this.o.log.error('role change failed', { role, err })),
    );
  }

  private deadline(): { deadline: Date } {
    return { deadline: new Date(Date.now() + (this.o.timeoutMs ?? 2_000)) };
  }
}
