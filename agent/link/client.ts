import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { errorMessage, isVmpoolError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import {
  CLOSE_CODES,
  type CoordinatorMessage,
  CoordinatorMessageSchema,
  type Hello,
  type ImageInfo,
  NODE_AUTH_SCHEME,
  type VmReport,
} from '../../shared/protocol.js';
import type { SpawnSpec } from '../../shared/spec.js';
import type { VmManager } from '../vms/manager.js';
import { queuedReport } from '../vms/report.js';
import { fullJitterMs } from './backoff.js';
import { Beats } from './beats.js';
import { UrlRing } from './urls.js';
import { memoryCredential, type NodeCredential } from './credential.js';

/** LinkOptions configures the agent's connection to the coordinator. */
export interface LinkOptions {
  url: string;
  /** urls lists every coordinator (HA); the agent finds the leader among them. Default: [url] */
  urls?: string[];
  /** backoffCapMs caps the reconnect wait (default 30 s; lower with several coordinators, for fast failover) */
  backoffCapMs?: number;
  joinToken: string;
  /** nodeId is the id the hello carries; with a stored credential it is also the Authorization's */
  nodeId: string;
  /** credential holds the per-node secret issued at enrolment (default: in memory only) */
  credential?: NodeCredential;
  /** hello builds the opening message afresh at every (re)connect, so new base images are seen */
  hello: () => Promise<Omit<Hello, 'vms'>>;
  vms: VmManager;
  log: Logger;
  /** congestedBytes: skip a heartbeat while this much is still unsent; the next one carries the latest state */
  congestedBytes?: number;
  rand?: () => number;
  /**
   * onRefused runs when the coordinator refuses the join token (HTTP 401): retrying cannot help, so
   * the link stops and the agent exits non-zero (2) for the operator to fix the token.
   */
  onRefused?: (status: number) => void;
  /** images lists the base images now; a beat carries the list when it differs from the last one sent */
  images?: () => Promise<string[]>;
  /** statsEveryMs: with a v2 coordinator, per-VM stats ride on at most one beat per this many ms (default 10 s) */
  statsEveryMs?: number;
  /** imageInfo is each base image's size, format and checksum now; a beat carries it when it changed */
  imageInfo?: () => Record<string, ImageInfo>;
}

/** LinkState is the link as STATUS= and metrics show it: connected or since when not, last RTT. */
export interface LinkState {
  connected: boolean;
  /** since is when the link last changed between connected and not (ms since the epoch) */
  since: number;
  /** rttMs is the last WebSocket ping's round trip, null before the first pong */
  rttMs: number | null;
  heartbeatsSent: number;
}

/** AgentLink dials the coordinator, says hello, beats, answers spawn/destroy and reconnects with jitter. */
export class AgentLink {
  private ws: WebSocket | null = null;
  private beat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private attempt = 0;
  /** beats decides full heartbeat or small beat, and samples stats */
  private readonly beats: Beats;
  private stopped = false;
  private beating = false;
  /** queued holds spawns received and not yet answered, so heartbeats report them as creating */
  private readonly queued = new Map<string, SpawnSpec & { vm_id: string }>();
  /** connected resolves each time a welcome arrives (tests and the demo wait on it) */
  onWelcome: (intervalMs: number) => void = () => undefined;
  private readonly ring: UrlRing;
  private readonly link: LinkState = { connected: false, since: Date.now(), rttMs: null, heartbeatsSent: 0 };
  private pingAt = 0;

  private readonly credential: NodeCredential;

  constructor(private readonly o: LinkOptions) {
    this.ring = new UrlRing(o.urls?.length ? o.urls : [o.url]);
    this.credential = o.credential ?? memoryCredential();
    this.beats = new Beats(o.statsEveryMs);
  }

  /** state is a copy of the link's state for STATUS= and metrics. */
  state(): LinkState {
    return { ...this.link };
  }

  private setConnected(connected: boolean): void {
    if (this.link.connected === connected) return;
    this.link.connected = connected;
    this.link.since = Date.now();
  }

  /** start dials in; failures are retried forever until stop(). */
  start(): void {
    this.stopped = false;
    this.dial();
  }

  /** stop closes the socket and stops reconnecting; the VMs keep running. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.beat);
    this.ws?.close(CLOSE_CODES.shuttingDown, 'agent stopping');
  }

  private dial(): void {
    this.credential.read().then(
      (secret) => this.open(secret),
      (err: unknown) => {
        this.o.log.error('cannot read the node credential; reconnecting', { err });
        this.reconnect();
      },
    );
  }

  /** authorization proves the node with its credential once enrolled; the join token only enrols. */
  private authorization(secret: string | null): string {
    return secret ? `${NODE_AUTH_SCHEME} ${this.o.nodeId}:${secret}` : `Bearer ${this.o.joinToken}`;
  }

  private reconnect(minMs = 0): void {
    if (this.stopped) return;
    this.ring.failed();
    const jitter = (this.o.rand ?? Math.random)();
    const capMs = this.o.backoffCapMs ?? 30_000;
    const wait = this.ring.hasHint ? minMs : Math.max(minMs, fullJitterMs(this.attempt++, jitter, { capMs }));
    this.retry = setTimeout(() => this.dial(), wait);
  }

  private open(secret: string | null): void {
    if (this.stopped) return;
    const url = this.ring.current();
    const ws = new WebSocket(url, {
      headers: { authorization: this.authorization(secret) },
      handshakeTimeout: 10_000,
    });
    this.ws = ws;
    ws.on('open', () => {
      this.o.hello().then(
        (hello) => this.send(this.beats.hello(hello, this.reports())),
        (err: unknown) => {
          this.o.log.warn('cannot build hello; reconnecting', { err });
          ws.close(CLOSE_CODES.badMessage, 'agent could not build hello');
        },
      );
    });
    ws.on('message', (data) => void this.onMessage(data.toString()));
    ws.on('pong', () => {
      if (this.pingAt) this.link.rttMs = performance.now() - this.pingAt;
    });
    ws.on('unexpected-response', (_req, res) => {
      const leader = res.headers['x-vmpool-leader'];
      if (res.statusCode === 421 && typeof leader === 'string') {
        this.o.log.info('coordinator is not the leader', { url, leader: leader || null });
        this.ring.leaderIs(leader);
      } else
        this.o.log.warn('coordinator refused the agent', {
          status: res.statusCode,
          enrolled: secret !== null,
          url,
        });
      if (res.statusCode === 401 && this.o.onRefused) {
        this.stopped = true;
        this.o.onRefused(401);
      }
      // ws emits no error for this; end the attempt so the close handler reconnects
      ws.terminate();
    });
    ws.on('error', (err) => this.o.log.debug('link error', { err }));
    ws.on('close', (code, reason) => {
      clearInterval(this.beat);
      if (this.ws === ws) this.ws = null;
      this.setConnected(false);
      if (this.stopped) return;
      this.closed(code, reason.toString());
    });
  }

  /** closed logs why the link closed and reconnects; a displaced socket waits longer (a twin may run). */
  private closed(code: number, reason: string): void {
    if (code === CLOSE_CODES.versionMismatch && this.beats.refused()) {
      // an older coordinator: speak version 1 (full heartbeats every beat) to it from now on
      this.o.log.warn('coordinator refused link protocol; falling back to version 1', { code, reason });
      this.reconnect();
      return;
    }
    if (code === CLOSE_CODES.displaced) {
      this.o.log.error('displaced by another connection of this node id; is a second agent running?', {
        code,
        reason,
      });
      this.reconnect(30_000);
      return;
    }
    if (code === CLOSE_CODES.unauthorized)
      this.o.log.error('coordinator refused this node', { code, reason });
    else this.o.log.warn('coordinator link closed, reconnecting', { code, reason });
    this.reconnect();
  }

  private async onMessage(text: string): Promise<void> {
    const raw = safeJson(text);
    const parsed = CoordinatorMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.o.log.warn('bad message from coordinator', { err: parsed.error.issues[0]?.message });
      return this.refuse(raw);
    }
    const msg = parsed.data;
    if (msg.type === 'welcome' && msg.node_secret) await this.enrolled(msg.node_secret);
    if (msg.type === 'welcome') this.beats.welcomed(msg.v);
    if (msg.type === 'resync') return this.beats.resyncAsked();
    if (msg.type === 'welcome' || msg.type === 'interval')
      return this.schedule(msg.heartbeat_interval_ms, msg.type === 'welcome');
    if (msg.type === 'spawn') return this.answerSpawn(msg);
    if (msg.type === 'remove_disks') return this.answerRemoveDisks(msg);
    if (msg.type === 'power') return this.answerPower(msg);
    if (msg.type === 'console_log') return this.answerConsoleLog(msg);
    if (msg.type === 'resize') return this.answerResize(msg);
    return this.answerDestroy(msg);
  }

  /** enrolled keeps the credential issued once at enrolment; without it the node cannot come back. */
  private async enrolled(secret: string): Promise<void> {
    try {
      await this.credential.save(secret);
      this.o.log.info('enrolled with the coordinator; node credential stored');
    } catch (err) {
      this.o.log.error('cannot store the node credential; the admin must remove this node to re-enrol', {
        err,
      });
    }
  }

  private schedule(intervalMs: number, welcome: boolean): void {
    clearInterval(this.beat);
    this.beat = setInterval(() => void this.heartbeat(), intervalMs);
    if (!welcome) return;
    this.attempt = 0;
    this.setConnected(true);
    this.ping();
    this.o.log.info('connected to coordinator', { heartbeat_ms: intervalMs });
    this.onWelcome(intervalMs);
  }

  private ping(): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    this.pingAt = performance.now();
    this.ws.ping();
  }

  private async heartbeat(): Promise<void> {
    const ws = this.ws;
    // a slow libvirt must not pile beats up: skip while the previous one is still being built
    if (!ws || ws.readyState !== WebSocket.OPEN || this.beating) return;
    this.beating = true;
    this.ping();
    try {
      await this.beatOnce(ws);
      this.link.heartbeatsSent++;
    } finally {
      this.beating = false;
    }
  }

  private async beatOnce(ws: WebSocket): Promise<void> {
    if (ws.bufferedAmount > (this.o.congestedBytes ?? 256 * 1024)) return;
    const snap = await this.o.vms.snapshot();
    const images = await this.imagesIfChanged();
    const imageInfo = this.imageInfoIfChanged();
    // the VM list is read at send time, with no await in between: a destroy answered before this
    // beat is never undone by it (the coordinator would adopt the VM it just forgot)
    this.send(
      this.beats.next(this.reports(), {
        free_memory_mb: snap.free_memory_mb,
        stats: snap.stats,
        images,
        ...(imageInfo ? { image_info: imageInfo } : {}),
      }),
    );
  }

  /** reports is every VM for hello and heartbeats, including spawns queued but not started yet. */
  private reports(): VmReport[] {
    const made = this.o.vms.reports();
    const known = new Set(made.map((r) => r.vm_id));
    const queued = [...this.queued.values()].filter((spec) => !known.has(spec.vm_id)).map(queuedReport);
    return [...made, ...queued];
  }

  private async answerSpawn(msg: Extract<CoordinatorMessage, { type: 'spawn' }>): Promise<void> {
    // REQUEST_ID is the API request's id end to end; the wire id only pairs this attempt's answer
    const logFields = {
      request_id: msg.trace_id ?? msg.request_id,
      wire_request_id: msg.request_id,
      tenant_id: msg.vm.tenant,
    };
    const log = this.o.log.child({
      ...logFields,
      vm_name: msg.vm.name,
      vm_id: msg.vm.vm_id,
      vmid: msg.vm.vmid,
    });
    let spec: SpawnSpec & { vm_id: string };
    try {
      spec = this.o.vms.resolve(msg.vm);
    } catch (err) {
      log.error('vm spawn refused', { err });
      return this.send({
        type: 'spawn_result',
        request_id: msg.request_id,
        ok: false,
        error: wireError(err),
      });
    }
    this.queued.set(spec.vm_id, spec);
    try {
      const vm = await this.o.vms.spawn(spec, undefined, { logFields });
      this.send({ type: 'spawn_result', request_id: msg.request_id, ok: true, vm });
    } catch (err) {
      log.error('vm spawn failed', { err });
      this.send({ type: 'spawn_result', request_id: msg.request_id, ok: false, error: wireError(err) });
    } finally {
      // a retried spawn of the same VM may have replaced our entry: only remove our own
      if (this.queued.get(spec.vm_id) === spec) this.queued.delete(spec.vm_id);
    }
  }

  /** refuse answers a spawn, destroy or power order we could not parse, so the coordinator does not wait it out. */
  private refuse(raw: unknown): void {
    const m = raw as { type?: unknown; request_id?: unknown } | undefined;
    const answered = ['spawn', 'destroy', 'power', 'resize'].includes(m?.type as string);
    if (typeof m?.request_id !== 'string' || !answered) return;
    const error = { code: 'bad_message', message: 'Cannot read the request: it does not match the protocol' };
    this.send({ type: `${m.type}_result`, request_id: m.request_id.slice(0, 64), ok: false, error });
  }

  private async answerDestroy(msg: Extract<CoordinatorMessage, { type: 'destroy' }>): Promise<void> {
    const logFields = { request_id: msg.trace_id ?? msg.request_id, wire_request_id: msg.request_id };
    this.o.log.info('vm destroy received', { ...logFields, vm_id: msg.vm_id });
    try {
      await this.o.vms.destroy(msg.vm_id, { keepDisk: msg.keep_disk ?? false }, { logFields });
      this.send({ type: 'destroy_result', request_id: msg.request_id, ok: true });
    } catch (err) {
      this.o.log.error('vm destroy failed', { ...logFields, vm_id: msg.vm_id, err });
      this.send({ type: 'destroy_result', request_id: msg.request_id, ok: false, error: wireError(err) });
    }
  }

  private async answerRemoveDisks(msg: Extract<CoordinatorMessage, { type: 'remove_disks' }>): Promise<void> {
    try {
      await this.o.vms.removeKept(msg.vm_id);
      this.o.log.info('kept disks removed', { vm_id: msg.vm_id });
      this.send({ type: 'destroy_result', request_id: msg.request_id, ok: true });
    } catch (err) {
      this.send({ type: 'destroy_result', request_id: msg.request_id, ok: false, error: wireError(err) });
    }
  }

  private async answerPower(msg: Extract<CoordinatorMessage, { type: 'power' }>): Promise<void> {
    try {
      const vm = await this.o.vms.power(msg.vm_id, msg.op, msg.timeout_ms);
      this.send({ type: 'power_result', request_id: msg.request_id, ok: true, vm });
    } catch (err) {
      this.send({ type: 'power_result', request_id: msg.request_id, ok: false, error: wireError(err) });
    }
  }

  private async answerResize(msg: Extract<CoordinatorMessage, { type: 'resize' }>): Promise<void> {
    const { type: _t, request_id, ...order } = msg;
    const logFields = { request_id: msg.trace_id ?? request_id, wire_request_id: request_id };
    try {
      const vm = await this.o.vms.resize(order, { logFields });
      this.send({ type: 'resize_result', request_id, ok: true, vm });
    } catch (err) {
      this.o.log.error('vm resize failed', { ...logFields, vm_id: msg.vm_id, err });
      this.send({ type: 'resize_result', request_id, ok: false, error: wireError(err) });
    }
  }

  /** lastImages is the list the coordinator holds (from the hello or a beat); null before the first hello */
  private lastImages: string | null = null;

  private async imagesIfChanged(): Promise<string[] | undefined> {
    if (!this.o.images) return undefined;
    const now = await this.o.images();
    const key = JSON.stringify(now);
    if (key === this.lastImages) return undefined;
    this.lastImages = key;
    return now;
  }

  /** lastImageInfo is the image facts the coordinator holds (from the hello or a beat) */
  private lastImageInfo: string | null = null;

  private imageInfoIfChanged(): Record<string, ImageInfo> | undefined {
    if (!this.o.imageInfo) return undefined;
    const now = this.o.imageInfo();
    const key = JSON.stringify(now);
    if (key === this.lastImageInfo) return undefined;
    this.lastImageInfo = key;
    return now;
  }

  private async answerConsoleLog(msg: Extract<CoordinatorMessage, { type: 'console_log' }>): Promise<void> {
    const base = { type: 'console_log_result', request_id: msg.request_id } as const;
    try {
      const text = await this.o.vms.consoleLog(msg.vm_id, msg.max_bytes);
      this.send({ ...base, ok: true, text });
    } catch (err) {
      this.send({ ...base, ok: false, error: wireError(err) });
    }
  }

  private send(msg: object): void {
    const m = msg as { type?: string; images?: string[]; image_info?: unknown };
    if (m.type === 'hello' && m.images) this.lastImages = JSON.stringify(m.images);
    if (m.type === 'hello' && m.image_info) this.lastImageInfo = JSON.stringify(m.image_info);
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function wireError(err: unknown): { code: string; message: string } {
  // a spawn that failed part-way says at which step (set by the VM manager)
  const step = (err as { step?: unknown } | null)?.step;
  const text = typeof step === 'string' ? `step ${step}: ${errorMessage(err)}` : errorMessage(err);
  return { code: isVmpoolError(err) ? err.code : 'internal', message: text.slice(0, 4000) };
}

/** newBootId is a fresh id per agent process start, so the coordinator can tell restarts apart. */
export function newBootId(): string {
  return randomUUID();
}
