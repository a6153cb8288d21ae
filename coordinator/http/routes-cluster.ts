import type { Context, Hono } from 'hono';
import type { Etcd3 } from 'etcd3';
import { VmpoolError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { HaNode } from '../ha/node.js';
import type { Principal } from '../tenants/index.js';
import { problem } from './problem.js';

/** ClusterDeps: the HA node and etcd client when running on --store etcd; null in single-node mode. */
export interface ClusterDeps {
  ha: HaNode | null;
  etcd: Etcd3 | null;
  log: Logger;
  /**
   * view is the shared store's position: the leader stamps each accepted write with its etcd
   * revision, and a follower that forwarded the write answers only once its mirror has it.
   */
  view?: { readonly headRevision: string; reached(rev: string, timeoutMs: number): Promise<boolean> };
  /** timeoutMs bounds the etcd health calls of GET /v1/cluster (the --etcd-timeout-ms setting; default 2 s) */
  timeoutMs?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: routes are added to the app's own Hono type
type AnyApp = Hono<any>;

const FORWARDED = 'x-vmpool-forwarded';
const REVISION = 'x-vmpool-revision';
/** MIRROR_WAIT_MS bounds how long a follower holds a forwarded write's answer for its mirror to catch up */
const MIRROR_WAIT_MS = 2_000;

/**
 * LEADER_VIEWS answer from what only the leader holds (agent links and liveness, its event bus,
 * capacity from live nodes, images from heartbeats, its webhook book): a follower forwards them.
 */
const LEADER_VIEWS = ['/v1/nodes', '/v1/events', '/v1/capacity', '/v1/images', '/v1/webhooks'];
/**
 * PREFER_LEADER reads are in the store, but a follower has no agent links, so it would show running
 * VMs as `unknown`: forwarded while a leader is known, served from the follower's mirror otherwise.
 */
const PREFER_LEADER = ['/v1/vms'];

function under(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => path === p || path.startsWith(`${p}/`) || path.startsWith(`${p}?`));
}

/**
 * installHaEdge goes before authentication: /healthz tells leader, follower or no_quorum; on a
 * follower, writes (and node reads, which only the leader knows) are FORWARDED to the leader, so a
 * client needs one URL and keeps its token (a cross-origin redirect would drop the Authorization header).
 */
export function installHaEdge(app: AnyApp, d: ClusterDeps): void {
  if (!d.ha) return;
  const ha = d.ha;
  app.get('/healthz', (c) => {
    const s = ha.status();
    const role = s.role === 'leader' && !ha.writable() ? 'starting' : s.role;
    return c.json(
      { ok: role !== 'no_quorum', role, leader: s.leader?.url ?? null, term: s.leader?.term ?? null },
      role === 'no_quorum' ? 503 : 200,
    );
  });
  app.use('/v1/*', async (c, next) => {
    const isWrite = !['GET', 'HEAD', 'OPTIONS'].includes(c.req.method);
    const leaderOnly = isWrite || under(c.req.path, LEADER_VIEWS);
    const target = ha.redirect();
    if (!leaderOnly && target && !c.req.header(FORWARDED) && under(c.req.path, PREFER_LEADER))
      return forward(c, target, ha.status().id, d.log);
    if (target === null && isWrite && !ha.writable())
      return problem(
        c,
        'not_leader',
        'Cannot write yet: the new leader waits for its agents to reconnect; retry shortly',
        {
          retryable: true,
        },
      );
    if (!leaderOnly || target === null) {
      const before = d.view?.headRevision;
      await next();
      // stamped only when the store moved meanwhile: a write that changed nothing has nothing to wait for
      if (isWrite && target === null && d.view && c.res.status < 300 && d.view.headRevision !== before)
        c.res.headers.set(REVISION, d.view.headRevision);
      return;
    }
    if (c.req.header(FORWARDED) || target === '') {
      const code = ha.status().role === 'no_quorum' ? 'no_quorum' : 'not_leader';
      return problem(
        c,
        code,
        `Cannot ${isWrite ? 'write' : `read ${c.req.path}`}: no leader reachable; retry shortly`,
        { retryable: true },
      );
    }
    return forward(c, target, ha.status().id, d.log, d.view);
  });
}

/** installClusterRoutes goes after authentication: GET /v1/cluster for admins. */
export function installClusterRoutes(app: AnyApp, d: ClusterDeps): void {
  app.get('/v1/cluster', async (c) => {
    if ((c.get('principal') as Principal).kind !== 'admin')
      throw new VmpoolError('not_found', 'No such route');
    if (!d.ha || !d.etcd)
      return c.json({ store: 'lowdb', role: 'leader', members: [], leader: null, etcd: null });
    const s = d.ha.status();
    return c.json({
      store: 'etcd',
      self: { id: s.id, url: s.url, role: s.role, ready: s.ready },
      leader: s.leader,
      term: s.leader?.term ?? null,
      etcd: await etcdHealth(d.etcd, d.timeoutMs ?? 2_000),
    });
  });
}

async function forward(
  c: Context,
  leader: string,
  self: string,
  log: Logger,
  view?: ClusterDeps['view'],
): Promise<Response> {
  const u = new URL(c.req.url);
  const headers = new Headers(c.req.raw.headers);
  for (const h of ['host', 'connection', 'content-length', 'transfer-encoding']) headers.delete(h);
  headers.set(FORWARDED, self);
  const hasBody = !['GET', 'HEAD'].includes(c.req.method);
  try {
    const res = await fetch(`${leader}${u.pathname}${u.search}`, {
      method: c.req.method,
      headers,
      ...(hasBody ? { body: await c.req.arrayBuffer() } : {}),
      redirect: 'manual',
      // an event stream stays open as long as its client; everything else is bounded
      ...(c.req.path === '/v1/events' ? {} : { signal: AbortSignal.timeout(150_000) }),
    });
    const out = new Headers(res.headers);
    for (const h of ['connection', 'content-length', 'transfer-encoding', 'content-encoding']) out.delete(h);
    out.set('x-vmpool-leader', leader);
    // read-your-writes: a client that wrote through this follower then reads its own change here
    const rev = res.headers.get(REVISION);
    if (rev && view && !(await view.reached(rev, MIRROR_WAIT_MS)))
      log.warn('mirror behind a forwarded write', { revision: rev, at: view.headRevision });
    return new Response(res.body, { status: res.status, headers: out });
  } catch (err) {
    log.warn('forward to leader failed', { leader, err });
    return problem(c, 'not_leader', 'Cannot reach the leader; retry shortly', { retryable: true });
  }
}

/** etcdHealth is the etcd cluster's members, its raft leader and term, as one member reports them. */
async function etcdHealth(client: Etcd3, timeoutMs: number): Promise<unknown> {
  const deadline = () => ({ deadline: new Date(Date.now() + timeoutMs) });
  try {
    const [members, status] = await Promise.all([
      client.cluster.memberList({}, deadline()),
      client.maintenance.status(deadline()),
    ]);
    return {
      healthy: true,
      raft_term: status.raftTerm,
      leader: status.leader,
      members: members.members.map((m) => ({ id: m.ID, name: m.name, client_urls: m.clientURLs })),
    };
  } catch (err) {
    return { healthy: false, error: err instanceof Error ? err.message : String(err) };
  }
}
