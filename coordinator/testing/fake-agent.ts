import WebSocket from 'ws';
import {
  type CoordinatorMessage,
  NODE_AUTH_SCHEME,
  CoordinatorMessageSchema,
  type Hello,
  type VmReport,
} from '../../shared/protocol.js';

/** SpawnReply is how a fake agent answers a spawn: ok, or a refusal with a stable code. */
export type SpawnReply = { ok: true } | { ok: false; code: string };

/**
 * FakeAgent speaks the agent's side of the link over a real WebSocket: hello, welcome, spawn and
 * destroy answers. It runs no VMs (a mock where a real agent needs libvirt): `reply` decides.
 */
export class FakeAgent {
  readonly received: CoordinatorMessage[] = [];

  private constructor(
    readonly ws: WebSocket,
    private readonly reply: (spec: { name: string }) => SpawnReply,
  ) {
    ws.on('message', (data) => this.onMessage(CoordinatorMessageSchema.parse(JSON.parse(data.toString()))));
  }

  /** secret is the node credential: issued in the first welcome, or the one connect was given */
  secret: string | undefined;

  /**
   * connect dials `url` with the join token (enrolment) or, given `secret`, with the node's
   * credential; sends the hello and resolves on the welcome (rejects if the socket closes first).
   */
  static async connect(
    url: string,
    opts: {
      joinToken: string;
      hello: Hello;
      secret?: string;
      reply?: (spec: { name: string }) => SpawnReply;
    },
  ): Promise<FakeAgent> {
    const authorization = opts.secret
      ? `${NODE_AUTH_SCHEME} ${opts.hello.node_id}:${opts.secret}`
      : `Bearer ${opts.joinToken}`;
    const ws = new WebSocket(url, { headers: { authorization } });
    const agent = new FakeAgent(ws, opts.reply ?? (() => ({ ok: true })));
    agent.secret = opts.secret;
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => ws.send(JSON.stringify(opts.hello)));
      ws.once('error', reject);
      ws.once('close', (code, why) => reject(new Error(`link closed ${code} ${why.toString()}`)));
      const check = () =>
        agent.received.some((m) => m.type === 'welcome') ? resolve() : setTimeout(check, 5);
      check();
    });
    return agent;
  }

  /** heartbeat reports a complete VM list (with its digest, as a version 2 agent does). */
  heartbeat(seq: number, vms: VmReport[], digest?: string): void {
    this.ws.send(
      JSON.stringify({ type: 'heartbeat', seq, free_memory_mb: [], vms, ...(digest ? { digest } : {}) }),
    );
  }

  /** beat sends a small beat (version 2): "my VM list is still the one with this digest". */
  beat(seq: number, digest: string, extra: Record<string, unknown> = {}): void {
    this.ws.send(JSON.stringify({ type: 'beat', seq, digest, free_memory_mb: [], ...extra }));
  }

  /** close drops the socket (the node then goes down once its beats are missed). */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }

  private onMessage(msg: CoordinatorMessage): void {
    this.received.push(msg);
    if (msg.type === 'welcome' && msg.node_secret) this.secret = msg.node_secret;
    if (msg.type === 'spawn') {
      const r = this.reply(msg.vm);
      const error = r.ok ? undefined : { code: r.code, message: `refused: ${r.code}` };
      this.send({ type: 'spawn_result', request_id: msg.request_id, ok: r.ok, ...(error ? { error } : {}) });
    } else if (msg.type === 'destroy') {
      this.send({ type: 'destroy_result', request_id: msg.request_id, ok: true });
    }
  }

  private send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }
}
