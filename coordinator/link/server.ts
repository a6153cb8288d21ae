import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../shared/log.js';
import {
  type AgentMessage,
  AgentMessageSchema,
  type Beat,
  CLOSE_CODES,
  type CoordinatorMessage,
  type Hello,
  SUPPORTED_PROTOCOL_VERSIONS,
  type VmReport,
} from '../../shared/protocol.js';
import { asBeat, beatProblem } from '../../shared/beat.js';
import { isVmpoolError } from '../../shared/errors.js';
import type { NodeEntry, NodeRegistry, ScannedSmallBeat } from '../registry/registry.js';
import { BeatScanner } from './beat-scan.js';
import type { LinkCredential, NodeIdentity } from './identity.js';
import { type KeepaliveState, newKeepaliveState, startKeepalive } from './keepalive.js';
import { LinkError, PendingRequests } from './pending.js';
import { releaseWsFragments } from './ws-fragments.js';

/** AgentAnswer is a spawn or destroy result from an agent. */
export type AgentAnswer = {
  ok: boolean;
  vm?: VmReport;
  text?: string;
  error?: { code: string; message: string };
};

/** LinkEvents are the coordinator's reactions to agents arriving, reporting and answering. */
export interface LinkEvents {
  onHello(entry: NodeEntry): void;
  /**
   * onHeartbeat gets the node's complete VM list: the one a full heartbeat carried, or the one kept
   * for a small beat whose digest matched. `key` (the digest, v2) names the list for a cheap no-change check.
   */
  onHeartbeat(entry: NodeEntry, vms: readonly VmReport[], key: string | undefined): void;
}

/** ConnState is one socket's progress: which node it speaks for and the protocol version agreed. */
type ConnState = { node: string | null; helloing: boolean; version: number };

/** AGENT_PATH is where agents dial in. */
export const AGENT_PATH = '/v1/agents/connect';

/** DEFAULT_MAX_MESSAGE_BYTES bounds one agent message; a bigger frame closes that socket with 1009. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** AgentLinkOptions: the identity book, the log, and limits (clock and timeouts for tests). */
export interface AgentLinkOptions {
  identity: NodeIdentity;
  log: Logger;
  now?: () => number;
  helloTimeoutMs?: number;
  maxMessageBytes?: number;
  /** onHeartbeatHandled gets each heartbeat's synchronous handling time in seconds (metrics) */
  onHeartbeatHandled?: (seconds: number) => void;
  /** redirect: null admits agents (leader or single node); a string refuses them, naming the leader's URL ('' if unknown) */
  redirect?: () => string | null;
}

type Conn = { send: (m: CoordinatorMessage) => void; close: (c: number, r: string) => void };

/**
 * AgentLinkServer accepts agent WebSockets, authenticates them and carries requests both ways.
 * Nothing a peer sends can reach past its own socket: every socket has an error handler, frames are
 * bounded, and a message that fails its schema (or a handler that throws) closes that socket only.
 */
export class AgentLinkServer {
  private readonly wss: WebSocketServer;
  private readonly pending = new PendingRequests<AgentAnswer>();
  private stopKeepalive = () => {};
  /** keepalive is each open socket's state (a Map, not a WeakMap: 10,000 ephemerons made every major GC's final pause ~60 ms longer) */
  private readonly keepalive = new Map<WebSocket, KeepaliveState>();
  /** scanner reads canonical small beats without JSON.parse (one at a time: messages are handled in turn) */
  private readonly scanner = new BeatScanner();

  constructor(
    private readonly registry: NodeRegistry,
    private readonly events: LinkEvents,
    private readonly opts: AgentLinkOptions,
  ) {
    releaseWsFragments(); // delivered messages' chunks are not promoted to the old generation
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    });
    this.wss.on('error', (err) => opts.log.warn('agent link server error', { err }));
  }

  /** attach hooks the HTTP server's upgrade event; other paths are refused. */
  attach(server: Server): void {
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    this.stopKeepalive = startKeepalive(
      () => this.wss.clients,
      (ws) => this.keepalive.get(ws),
    );
  }

  /** request sends a spawn/destroy to a node and waits for its answer. */
  request(
    nodeId: string,
    msg: CoordinatorMessage & { request_id: string },
    timeoutMs: number,
  ): Promise<AgentAnswer> {
    const entry = this.registry.get(nodeId);
    if (!entry?.conn || entry.state !== 'ready') {
      return Promise.reject(
        new LinkError('node_unavailable', `Cannot reach node "${nodeId}": not connected`),
      );
    }
    const answer = this.pending.wait(msg.request_id, nodeId, timeoutMs);
    entry.conn.send(msg);
    return answer;
  }

  /** answer delivers an agent's spawn/destroy result to the request waiting for it. */
  answer(requestId: string, nodeId: string, result: AgentAnswer): boolean {
    return this.pending.settle(requestId, nodeId, result);
  }

  /** dropAll closes every agent socket (a leader stepping down); agents reconnect to the new leader. */
  dropAll(reason: string): void {
    for (const ws of this.wss.clients) ws.close(CLOSE_CODES.shuttingDown, reason);
  }

  /** close stops accepting agents and closes every socket. */
  close(): void {
    this.stopKeepalive();
    for (const ws of this.wss.clients) ws.close(CLOSE_CODES.shuttingDown, 'coordinator shutting down');
    this.wss.close();
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // a peer resetting mid-handshake must not raise an uncaught error
    socket.on('error', (err) => this.opts.log.debug('agent upgrade socket error', { err }));
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== AGENT_PATH) {
      refuse(socket, 404, 'Not Found');
      return;
    }
    const cred = this.opts.identity.authenticate(req.headers.authorization);
    if (!cred) {
      this.opts.log.warn('agent refused: bad join token', { remote: req.socket.remoteAddress });
      refuse(socket, 401, 'Unauthorized');
      return;
    }
    const leader = this.opts.redirect?.() ?? null;
    if (leader !== null) {
      // 421: this coordinator does not lead; the agent dials the URL in x-vmpool-leader (or its next one)
      socket.end(
        `HTTP/1.1 421 Misdirected Request\r\nx-vmpool-leader: ${leader.replace(/[\r\n]/g, '')}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws, cred, req.socket.remoteAddress));
  }

  private serve(ws: WebSocket, cred: LinkCredential, remote: string | undefined): void {
    const s: ConnState = { node: null, helloing: false, version: 0 };
    const conn: Conn = {
      send: (m) => ws.send(JSON.stringify(m)),
      close: (c, r) => ws.close(c, r),
    };
    const helloTimer = setTimeout(
      () => s.node ?? ws.close(CLOSE_CODES.badMessage, 'no hello'),
      this.opts.helloTimeoutMs ?? 10_000,
    );
    const keep: KeepaliveState = newKeepaliveState();
    this.keepalive.set(ws, keep);
    // invalid UTF-8, an unmasked or oversized frame: ws closes the socket (1007/1002/1009) after this
    ws.on('error', (err) => {
      this.opts.log.warn('agent socket error', { node_id: s.node, remote, err });
      ws.terminate();
    });
    ws.on('pong', () => {
      keep.heard = true;
    });
    ws.on('message', (data, isBinary) => {
      keep.heard = true;
      const t0 = performance.now();
      try {
        // the hot path: a v2 node's canonical small beat, read from the frame's bytes
        const fast =
          !isBinary && s.node && s.version >= 2 && Buffer.isBuffer(data) ? this.scanner.scan(data) : null;
        const type = fast
          ? this.beat(conn, s.node!, fast)
          : this.onMessage(ws, conn, s, cred, isBinary ? null : data.toString(), helloTimer);
        if (type === 'beat' || type === 'heartbeat')
          this.opts.onHeartbeatHandled?.((performance.now() - t0) / 1000);
      } catch (err) {
        this.opts.log.error('agent message failed', { node_id: s.node, err });
        ws.close(CLOSE_CODES.badMessage, 'message failed');
      }
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      this.keepalive.delete(ws);
      if (!s.node) return;
      this.registry.disconnect(s.node, conn);
      this.pending.failNode(s.node);
      this.opts.log.info('agent disconnected', { node_id: s.node });
    });
  }

  private onMessage(
    ws: WebSocket,
    conn: Conn,
    s: ConnState,
    cred: LinkCredential,
    text: string | null,
    helloTimer: NodeJS.Timeout,
  ): AgentMessage['type'] | undefined {
    const msg = this.parse(text === null ? undefined : safeJson(text), s);
    if (typeof msg === 'string') {
      this.opts.log.warn('agent message refused', { node_id: s.node, err: msg });
      ws.close(CLOSE_CODES.badMessage, 'malformed message');
      return undefined;
    }
    if (msg.type === 'hello') {
      // one socket is one node: a second hello would let it speak for another node id
      if (s.node || s.helloing) {
        ws.close(CLOSE_CODES.badMessage, 'hello already sent');
        return;
      }
      s.helloing = true;
      clearTimeout(helloTimer);
      void this.hello(msg, conn, cred, ws).then((id) => {
        s.node = id;
        s.version = msg.v;
      });
      return;
    }
    if (!s.node) {
      ws.close(CLOSE_CODES.badMessage, 'hello first');
      return;
    }
    if (msg.type === 'beat') return this.beat(conn, s.node, msg);
    if (msg.type === 'heartbeat') {
      const entry = this.registry.get(s.node);
      if (!entry || !this.registry.heartbeat(s.node, conn, msg, this.now())) return;
      this.events.onHeartbeat(entry, msg.vms, msg.digest);
      return msg.type;
    }
    this.answer(msg.request_id, s.node, {
      ok: msg.ok,
      vm: 'vm' in msg ? msg.vm : undefined,
      ...('text' in msg ? { text: msg.text } : {}),
      error: msg.error,
    });
  }

  /** beat records a small beat and reconciles the kept list, or asks for it when the digest differs. */
  private beat(conn: Conn, node: string, msg: Beat | ScannedSmallBeat): 'beat' | undefined {
    const entry = this.registry.get(node);
    if (!entry || !this.registry.heartbeat(node, conn, msg, this.now())) return;
    if (msg.digest === entry.reported.digest) this.events.onHeartbeat(entry, entry.reported.vms, msg.digest);
    else conn.send({ type: 'resync' }); // the list behind this digest is not the one we hold
    return 'beat';
  }

  /**
   * parse checks one message: a small beat (the hot path, v2 sockets only) by the hand check that
   * mirrors BeatSchema, everything else by zod. Returns the message or why it was refused.
   */
  private parse(raw: unknown, s: ConnState): AgentMessage | string {
    if ((raw as { type?: unknown } | undefined)?.type === 'beat') {
      if (s.version < 2) return 'beat before a version 2 hello';
      return beatProblem(raw) ?? asBeat(raw);
    }
    const parsed = AgentMessageSchema.safeParse(raw);
    return parsed.success ? parsed.data : (parsed.error.issues[0]?.message ?? 'invalid');
  }

  private async hello(msg: Hello, conn: Conn, cred: LinkCredential, ws: WebSocket): Promise<string | null> {
    if (!SUPPORTED_PROTOCOL_VERSIONS.includes(msg.v)) {
      const want = SUPPORTED_PROTOCOL_VERSIONS.join(' or ');
      conn.close(CLOSE_CODES.versionMismatch, `protocol ${msg.v} unsupported; want ${want}`);
      return null;
    }
    try {
      const { secret } = await this.opts.identity.admit(msg.node_id, cred, new Date(this.now()));
      if (ws.readyState !== ws.OPEN) return null; // gone while enrolling: never register a dead socket
      const entry = this.registry.connect(msg, conn, this.now());
      conn.send({
        type: 'welcome',
        v: msg.v, // the agent's own version: a v1 agent keeps sending full heartbeats
        node_id: entry.id,
        heartbeat_interval_ms: entry.intervalMs,
        ...(secret ? { node_secret: secret } : {}),
      });
      this.opts.log.info('agent connected', {
        node_id: entry.id,
        enrolled: secret !== undefined,
        vms: msg.vms.length,
        kvm: msg.kvm,
        reserved: msg.reserved,
        agent_version: msg.agent_version,
        boot_id: msg.boot_id,
      });
      this.events.onHello(entry);
      return entry.id;
    } catch (err) {
      this.opts.log.warn('agent refused', { node_id: msg.node_id, err });
      const code = isVmpoolError(err) ? err.code : 'refused';
      conn.close(code === 'node_unknown' ? CLOSE_CODES.unauthorized : CLOSE_CODES.nodeIdInUse, code);
      return null;
    }
  }
}

/** newRequestId makes a request id for agent calls. */
export function newRequestId(): string {
  return randomUUID();
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
