import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../shared/log.js';
import {
  AgentMessageSchema,
  CLOSE_CODES,
  type CoordinatorMessage,
  type Heartbeat,
  type Hello,
  PROTOCOL_VERSION,
} from '../../shared/protocol.js';
import { isVmpoolError } from '../../shared/errors.js';
import type { NodeEntry, NodeRegistry } from '../registry/registry.js';
import { LinkError, PendingRequests } from './pending.js';

/** AgentAnswer is a spawn or destroy result from an agent. */
export type AgentAnswer = { ok: boolean; vm?: unknown; error?: { code: string; message: string } };

/** LinkEvents are the coordinator's reactions to agents arriving, reporting and answering. */
export interface LinkEvents {
  onHello(entry: NodeEntry): void;
  onHeartbeat(entry: NodeEntry, hb: Heartbeat): void;
}

/** AGENT_PATH is where agents dial in. */
export const AGENT_PATH = '/v1/agents/connect';

/** AgentLinkServer accepts agent WebSockets, authenticates them and carries requests both ways. */
export class AgentLinkServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 8 * 1024 * 1024 });
  private readonly pending = new PendingRequests<AgentAnswer>();
  private readonly joinHash: Buffer;
  private pingTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly events: LinkEvents,
    private readonly opts: {
      joinToken: string;
      log: Logger;
      now?: () => number;
      helloTimeoutMs?: number;
      /** redirect: null admits agents (leader or single node); a string refuses them, naming the leader's URL ('' if unknown) */
      redirect?: () => string | null;
    },
  ) {
    this.joinHash = sha256(opts.joinToken);
  }

  /** attach hooks the HTTP server's upgrade event; other paths are refused. */
  attach(server: Server): void {
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    this.pingTimer = setInterval(() => this.pingAll(), 5_000).unref();
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
    clearInterval(this.pingTimer);
    for (const ws of this.wss.clients) ws.close(CLOSE_CODES.shuttingDown, 'coordinator shutting down');
    this.wss.close();
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== AGENT_PATH) {
      refuse(socket, 404, 'Not Found');
      return;
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!timingSafeEqual(sha256(token), this.joinHash)) {
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
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws));
  }

  private serve(ws: WebSocket): void {
    let node: string | null = null;
    const conn = {
      send: (m: CoordinatorMessage) => ws.send(JSON.stringify(m)),
      close: (c: number, r: string) => ws.close(c, r),
    };
    const helloTimer = setTimeout(
      () => node ?? ws.close(CLOSE_CODES.badMessage, 'no hello'),
      this.opts.helloTimeoutMs ?? 10_000,
    );
    (ws as WebSocket & { alive?: boolean }).alive = true;
    ws.on('pong', () => Object.assign(ws, { alive: true }));
    ws.on('message', (data) => {
      const parsed = AgentMessageSchema.safeParse(safeJson(data.toString()));
      if (!parsed.success) return ws.close(CLOSE_CODES.badMessage, 'malformed message');
      const msg = parsed.data;
      if (msg.type === 'hello') {
        // one socket is one node: a second hello would let it speak for another node id
        if (node) return ws.close(CLOSE_CODES.badMessage, 'hello already sent');
        clearTimeout(helloTimer);
        node = this.hello(msg, conn);
        return;
      }
      if (!node) return ws.close(CLOSE_CODES.badMessage, 'hello first');
      if (msg.type === 'heartbeat') {
        const entry = this.registry.get(node);
        if (entry && this.registry.heartbeat(node, conn, msg, this.now()))
          this.events.onHeartbeat(entry, msg);
      } else {
        this.answer(msg.request_id, node, {
          ok: msg.ok,
          vm: 'vm' in msg ? msg.vm : undefined,
          error: msg.error,
        });
      }
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      if (!node) return;
      this.registry.disconnect(node, conn);
      this.pending.failNode(node);
      this.opts.log.info('agent disconnected', { node_id: node });
    });
  }

  private hello(
    msg: Hello,
    conn: { send: (m: CoordinatorMessage) => void; close: (c: number, r: string) => void },
  ): string | null {
    if (msg.v !== PROTOCOL_VERSION) {
      conn.close(CLOSE_CODES.versionMismatch, `protocol ${msg.v} unsupported; want ${PROTOCOL_VERSION}`);
      return null;
    }
    try {
      const entry = this.registry.connect(msg, conn, this.now());
      conn.send({
        type: 'welcome',
        v: PROTOCOL_VERSION,
        node_id: entry.id,
        heartbeat_interval_ms: entry.intervalMs,
      });
      this.opts.log.info('agent connected', {
        node_id: entry.id,
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
      conn.close(CLOSE_CODES.nodeIdInUse, isVmpoolError(err) ? err.code : 'refused');
      return null;
    }
  }

  private pingAll(): void {
    for (const ws of this.wss.clients) {
      const w = ws as WebSocket & { alive?: boolean };
      if (w.alive === false) {
        w.terminate();
        continue;
      }
      w.alive = false;
      w.ping();
    }
  }
}

/** newRequestId makes a request id for agent calls. */
export function newRequestId(): string {
  return randomUUID();
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
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
