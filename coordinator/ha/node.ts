import type { Etcd3 } from 'etcd3';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../shared/log.js';
import type { Fence } from '../store/etcd-store.js';
import { type LeaderInfo, LeaderElection, type Role } from './election.js';

/** HaParts are the coordinator pieces whose behaviour depends on the role. */
export interface HaParts {
  /** lead reloads durable state so the new leader writes on etcd's latest view */
  lead(): Promise<void>;
  /** follow drops agent links and mirrors the leader's writes */
  follow(): Promise<void>;
  /** nodesWithVms lists the nodes the stored VMs are on (a new leader waits for them to say hello) */
  nodesWithVms(): string[];
  /** nodeConnected says whether a node's agent is linked to this coordinator now */
  nodeConnected(id: string): boolean;
}

/** HaNodeOptions: the election settings plus where to report. */
export interface HaNodeOptions {
  client: Etcd3;
  prefix: string;
  id: string;
  url: string;
  ttlSec: number;
  pollMs?: number;
  /** warmupMs bounds how long a new leader holds client writes while agents reconnect (default 5 s) */
  warmupMs?: number;
  log: Logger;
  registry?: Registry;
}

/** HaStatus is this coordinator's view of the cluster for /healthz and /v1/cluster. */
export interface HaStatus {
  id: string;
  url: string;
  role: Role;
  /** ready: leader and done reloading state (only then does it accept writes and agents) */
  ready: boolean;
  leader: LeaderInfo | null;
}

/**
 * HaNode runs the election and switches the coordinator between leader and follower. It gives the
 * store its fence only once the new leader has reloaded its state: writes before that are refused.
 */
export class HaNode {
  readonly election: LeaderElection;
  private ready = false;
  private warmUntil = 0;
  private expected: string[] = [];
  private parts: HaParts | null = null;
  private readonly changes: Counter<'role'> | null;
  private readonly isLeader: Gauge | null;

  constructor(private readonly o: HaNodeOptions) {
    this.election = new LeaderElection({
      client: o.client,
      key: `${o.prefix}/leader`,
      id: o.id,
      url: o.url,
      ttlSec: o.ttlSec,
      ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
      log: o.log,
      onChange: (role) => this.change(role),
    });
    const registers = o.registry ? [o.registry] : [];
    this.changes = o.registry
      ? new Counter({
          name: 'vmpool_leadership_changes_total',
          help: 'Role changes of this coordinator, by the role it took',
          labelNames: ['role'],
          registers,
        })
      : null;
    this.isLeader = o.registry
      ? new Gauge({ name: 'vmpool_leader', help: '1 while this coordinator leads and serves', registers })
      : null;
  }

  /** fence is what every leader write compares on; null (writes refused) unless leading and ready. */
  fence(): Fence | null {
    return this.ready ? this.election.fence() : null;
  }

  /**
   * writable says whether client writes are taken now: leading, state reloaded, and either every
   * node that holds VMs has reconnected or the warm-up bound passed (so creates do not fail with
   * no_capacity just because the agents are still dialling the new leader).
   */
  writable(): boolean {
    if (!this.ready || this.election.role !== 'leader') return false;
    if (Date.now() >= this.warmUntil) return true;
    return this.expected.every((id) => this.parts?.nodeConnected(id));
  }

  /** status is the role, readiness and known leader. */
  status(): HaStatus {
    return {
      id: this.o.id,
      url: this.o.url,
      role: this.election.role,
      ready: this.ready,
      leader: this.election.leader,
    };
  }

  /** redirect is null when this coordinator takes agents and writes, else the leader's URL ('' if none). */
  redirect(): string | null {
    if (this.ready && this.election.role === 'leader') return null;
    const l = this.election.leader;
    return l && l.id !== this.o.id ? l.url : '';
  }

  /** start begins campaigning; parts are switched on every role change. */
  start(parts: HaParts): void {
    this.parts = parts;
    this.election.start();
  }

  /** stop resigns (the next coordinator takes over at once instead of after the lease). */
  stop(): Promise<void> {
    this.ready = false;
    return this.election.stop();
  }

  private async change(role: Role): Promise<void> {
    this.changes?.inc({ role });
    this.ready = false;
    this.isLeader?.set(0);
    if (!this.parts) return;
    if (role === 'leader') return this.reload(true);
    await this.parts.follow();
  }

  /**
   * resync is called when a write's outcome is unknown (etcd timed out): etcd may hold a change
   * this leader rolled back in memory, so it stops taking writes and reloads everything first.
   */
  resync(): void {
    if (!this.ready || this.election.role !== 'leader') return;
    this.ready = false;
    this.isLeader?.set(0);
    this.o.log.warn('leader reloading state after a write with unknown outcome', {});
    void this.reload(false);
  }

  /** reload reads the whole state again, retrying while this coordinator still leads. */
  private async reload(fresh: boolean): Promise<void> {
    const term = this.election.leader?.term;
    while (this.parts && this.election.role === 'leader' && this.election.leader?.term === term) {
      try {
        await this.parts.lead();
      } catch (err) {
        this.o.log.warn('leader cannot reload state yet', { err });
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (this.election.role !== 'leader' || this.election.leader?.term !== term) return;
      if (fresh) {
        this.expected = this.parts.nodesWithVms();
        this.warmUntil = Date.now() + (this.o.warmupMs ?? 5_000);
      }
      this.ready = true;
      this.isLeader?.set(1);
      this.o.log.info('leader serving', { term: term ?? null });
      return;
    }
  }
}
