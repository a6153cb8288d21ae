import {
  type Beat,
  CLOSE_CODES,
  type CoordinatorMessage,
  type Heartbeat,
  type Hello,
  type VmReport,
} from '../../shared/protocol.js';
import { EventBus } from '../events/bus.js';
import {
  DEFAULT_LIVENESS,
  downAfterMs,
  heartbeatIntervalMs,
  isDown,
  type LivenessConfig,
} from './liveness.js';
import { TopologyInterner } from './topology-intern.js';
import { type StatsRows, VmStatsTable } from './vm-stats.js';

/** ScannedSmallBeat is a small beat the link read without JSON.parse: its stats come as rows. */
export interface ScannedSmallBeat {
  readonly type: 'beat';
  readonly digest: string;
  readonly rows: StatsRows | null;
}

/** AgentConnection is what the registry needs from one agent's socket. */
export interface AgentConnection {
  send(msg: CoordinatorMessage): void;
  close(code: number, reason: string): void;
}

/** NodeEntry is the soft state of one node, rebuilt from hello and heartbeats; never persisted. */
export interface NodeEntry {
  readonly id: string;
  hello: Hello;
  state: 'ready' | 'down';
  conn: AgentConnection | null;
  /** lastSeen is when the node's latest beat was read (the coordinator's clock) */
  lastSeen: number;
  intervalMs: number;
  /** stats are the latest per-VM figures (cpu time, balloon, …) by vm id, kept flat; shown, never stored */
  readonly stats: VmStatsTable;
  /** reported is the last full VM list (hello or heartbeat) and its digest (v2 agents; null from v1) */
  reported: { vms: readonly VmReport[]; digest: string | null };
}

/** NodeRegistryOptions tunes liveness and injects randomness and the bus node events go to. */
export interface NodeRegistryOptions {
  liveness?: Partial<LivenessConfig>;
  rand?: () => number;
  bus?: EventBus;
}

/**
 * NodeRegistry is the coordinator's in-memory view of the fleet: who is connected and what they run.
 * It is the one emitter of node events (joined, up, down).
 */
export class NodeRegistry {
  private readonly nodes = new Map<string, NodeEntry>();
  readonly liveness: LivenessConfig;
  private readonly rand: () => number;
  private readonly bus: EventBus;
  private readonly watchers = new Set<(nodeId: string) => void>();
  private readonly topologies = new TopologyInterner();

  constructor(opts: NodeRegistryOptions = {}) {
    this.liveness = { ...DEFAULT_LIVENESS, ...opts.liveness };
    this.rand = opts.rand ?? Math.random;
    this.bus = opts.bus ?? new EventBus();
  }

  /**
   * connect registers a hello the link has authenticated (node credential or fresh enrolment). A
   * socket the node held before is displaced: closed with a reason the old agent logs, never left
   * open with its beats silently dropped.
   */
  connect(sent: Hello, conn: AgentConnection, now: number): NodeEntry {
    // identical hosts share one frozen copy of their thread lists (fewer objects for the GC to mark)
    const hello = { ...sent, topology: this.topologies.topology(sent.topology) };
    const existing = this.nodes.get(hello.node_id);
    if (existing?.conn && existing.conn !== conn)
      existing.conn.close(CLOSE_CODES.displaced, 'displaced by a newer connection of this node');
    const intervalMs = heartbeatIntervalMs(this.liveness, this.liveCount() + (existing ? 0 : 1), this.rand());
    const entry: NodeEntry = {
      id: hello.node_id,
      hello,
      state: 'ready',
      conn,
      lastSeen: now,
      intervalMs,
      stats: new VmStatsTable(),
      reported: { vms: hello.vms, digest: hello.vms_digest ?? null },
    };
    this.nodes.set(hello.node_id, entry);
    this.changed(entry.id);
    void this.bus.emit(
      existing
        ? { type: 'node.up', node_id: entry.id }
        : { type: 'node.joined', node_id: entry.id, vms: hello.vms.length },
    );
    return entry;
  }

  /** remove forgets a node (admin removal): its socket is closed and node.removed emitted. */
  remove(id: string, reason: string): boolean {
    const entry = this.nodes.get(id);
    if (!entry) return false;
    this.nodes.delete(id);
    this.changed(id);
    entry.conn?.close(CLOSE_CODES.unauthorized, reason);
    void this.bus.emit({ type: 'node.removed', node_id: id });
    return true;
  }

  /**
   * heartbeat records live state from a full heartbeat or a small beat; returns false when the node
   * is unknown or the socket is not its own. Sampled stats (v2) stay until the next sample.
   */
  heartbeat(
    id: string,
    conn: AgentConnection,
    hb: Heartbeat | Beat | ScannedSmallBeat,
    now: number,
  ): boolean {
    const entry = this.nodes.get(id);
    if (!entry || entry.conn !== conn) return false;
    entry.lastSeen = now;
    if ('rows' in hb) {
      if (hb.rows) entry.stats.setRows(hb.rows);
      return this.up(entry);
    }
    if (hb.stats) entry.stats.set(hb.stats);
    if (hb.type === 'beat') return this.up(entry);
    if (hb.digest === undefined && !hb.stats) entry.stats.clear(); // a v1 beat without stats: none now
    entry.reported = { vms: hb.vms, digest: hb.digest ?? null };
    // a base image added or removed on the node counts for placement from this beat on
    if (hb.images) {
      entry.hello = { ...entry.hello, images: hb.images };
      this.changed(id);
    }
    if (hb.image_info) entry.hello = { ...entry.hello, image_info: hb.image_info };
    return this.up(entry);
  }

  private up(entry: NodeEntry): true {
    if (entry.state === 'down') {
      entry.state = 'ready';
      this.changed(entry.id);
      void this.bus.emit({ type: 'node.up', node_id: entry.id });
    }
    return true;
  }

  /** disconnect forgets the socket; the node stays known and goes down when its beats stop. */
  disconnect(id: string, conn: AgentConnection): void {
    const entry = this.nodes.get(id);
    if (entry && entry.conn === conn) {
      entry.conn = null;
      this.changed(id);
    }
  }

  /**
   * sweep marks nodes silent for longer than their bound down and returns the ids that just went down.
   * `lateMs` is the coordinator's own stall this sweep may not yet have read past (startSweep: the
   * length of the loop turn just before it). Beats that arrived in that stretch may still be unread,
   * so this sweep does not count it as any node's silence. An earlier stall is not credited: a loop
   * turn since it polled the sockets, so the beats that queued behind it were read and lastSeen has
   * them. A stall while a node is silent therefore postpones its down by the stall and one loop turn.
   */
  sweep(now: number, lateMs = 0): string[] {
    const credit = Math.max(0, lateMs);
    const wentDown: string[] = [];
    for (const entry of this.nodes.values()) {
      if (entry.state !== 'ready') continue;
      if (!isDown(this.liveness, entry.lastSeen, entry.intervalMs, now, credit)) continue;
      this.down(entry, now, credit);
      wentDown.push(entry.id);
    }
    return wentDown;
  }

  /** down marks one node down; its node.down says why (silence, bound, the stall not counted). */
  private down(entry: NodeEntry, now: number, creditMs: number): void {
    entry.state = 'down';
    this.changed(entry.id);
    void this.bus.emit({
      type: 'node.down',
      node_id: entry.id,
      silent_ms: Math.round(now - entry.lastSeen),
      down_after_ms: downAfterMs(this.liveness, entry.intervalMs),
      stall_credit_ms: Math.round(creditMs),
    });
  }

  /**
   * retune hands connected nodes a new interval when the fleet size moved it by more than a quarter,
   * so total heartbeat load stays under the cap as nodes join (and beats speed up as they leave).
   */
  retune(): string[] {
    // intervals depend on the live count only, which moves only with the generation: nothing to do
    if (this.retunedAt === this.changes) return [];
    this.retunedAt = this.changes;
    const changed: string[] = [];
    const live = this.liveCount(); // once per sweep: counting per node made this O(nodes²)
    for (const entry of this.nodes.values()) {
      if (!entry.conn || entry.state !== 'ready') continue;
      const target = heartbeatIntervalMs(this.liveness, live, this.rand());
      if (Math.abs(target - entry.intervalMs) <= entry.intervalMs / 4) continue;
      entry.intervalMs = target;
      entry.conn.send({ type: 'interval', heartbeat_interval_ms: target });
      changed.push(entry.id);
    }
    return changed;
  }

  /** watch calls fn with a node's id whenever its hello, liveness or connection changes (not per beat). */
  watch(fn: (nodeId: string) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  private changed(id: string): void {
    this.changes++;
    for (const fn of this.watchers) fn(id);
  }

  private changes = 0;
  private retunedAt = -1;

  /** generation moves whenever a node's hello, liveness or connection changes (not per beat). */
  get generation(): number {
    return this.changes;
  }

  /** liveCount counts nodes that beat: down nodes add no load, so they do not stretch the interval. */
  private liveCount(): number {
    // states change only with a generation move: count once per generation, not once per hello
    if (this.live.at === this.changes) return this.live.n;
    let n = 0;
    for (const e of this.nodes.values()) if (e.state === 'ready') n++;
    this.live = { at: this.changes, n };
    return n;
  }

  private live = { at: -1, n: 0 };

  /** get returns one node's entry. */
  get(id: string): NodeEntry | undefined {
    return this.nodes.get(id);
  }

  /** countByState tallies nodes by state without sorting them (STATUS= reads it every 2 s). */
  countByState(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.nodes.values()) out[e.state] = (out[e.state] ?? 0) + 1;
    return out;
  }

  /** entries iterates every known node in no set order (metrics: no sort per scrape). */
  entries(): IterableIterator<NodeEntry> {
    return this.nodes.values();
  }

  /** size is how many nodes are known. */
  get size(): number {
    return this.nodes.size;
  }

  /** list returns every known node, sorted by id. */
  list(): NodeEntry[] {
    return [...this.nodes.values()].sort((a, b) => a.id.localeCompare(b.id));
  }
}
