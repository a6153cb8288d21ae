import { type Coordinator, startCoordinator, waitFor } from './procs.js';

/**
 * HA_TIMING is what the HA tests start coordinators with; every wait in them is derived from it,
 * so a slower setting (or a loaded machine) moves the bounds with it instead of breaking them.
 */
export const HA_TIMING = {
  /** --leader-ttl: a leader that stops renewing loses the election key after this */
  leaderTtlMs: 2_000,
  /** --etcd-timeout-ms: past it an etcd call's outcome is unknown and a write answers 503 */
  etcdTimeoutMs: 2_000,
  /** the election polls the key this often (coordinator/ha/election.ts) */
  pollMs: 250,
} as const;

/**
 * haBoundMs is how long a client may have to retry through one disturbance (a leader lost, an etcd
 * member gone): the call in flight times out, the lease expires, the next poll elects, the winner
 * reloads (one etcd round trip). Doubled, plus a fixed margin for a CPU-starved 2-core machine.
 */
export function haBoundMs(disturbances = 1): number {
  const t = HA_TIMING;
  return disturbances * 2 * (t.etcdTimeoutMs + t.leaderTtlMs + t.pollMs + t.etcdTimeoutMs) + 5_000;
}

/** startHaCoordinators starts n real coordinators on --store etcd sharing one prefix. */
export async function startHaCoordinators(
  n: number,
  endpoints: string[],
  prefix: string,
): Promise<Coordinator[]> {
  const out: Coordinator[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await startCoordinator({
        args: [
          '--store',
          'etcd',
          '--etcd-endpoints',
          endpoints.join(','),
          '--etcd-prefix',
          prefix,
          '--coordinator-id',
          `c${i}`,
          '--leader-ttl',
          String(HA_TIMING.leaderTtlMs / 1000),
          '--etcd-timeout-ms',
          String(HA_TIMING.etcdTimeoutMs),
        ],
      }),
    );
  }
  return out;
}

/** roleOf reads a coordinator's /healthz role ('down' when it does not answer within 1 s). */
export async function roleOf(c: Coordinator): Promise<string> {
  try {
    const res = await fetch(`${c.url}/healthz`, { signal: AbortSignal.timeout(1_000) });
    return ((await res.json()) as { role?: string }).role ?? 'single';
  } catch {
    return 'down';
  }
}

/** healthOf reads a coordinator's /healthz (role and the leader it knows), null when it does not answer. */
export async function healthOf(c: Coordinator): Promise<{ role: string; leader: string | null } | null> {
  try {
    const res = await fetch(`${c.url}/healthz`, { signal: AbortSignal.timeout(1_000) });
    return (await res.json()) as { role: string; leader: string | null };
  } catch {
    return null;
  }
}

/** waitLeader waits until one of cs says it is the serving leader and returns it. */
export async function waitLeader(cs: Coordinator[], timeoutMs = haBoundMs()): Promise<Coordinator> {
  const found = await waitFor(
    async () => {
      for (const c of cs) if ((await roleOf(c)) === 'leader') return c;
      return null;
    },
    { timeoutMs, intervalMs: 50, what: 'a serving leader' },
  );
  return found!;
}

/** CreateOutcome is one client's view of a create: the VM it was told exists, or the last error. */
export interface CreateOutcome {
  key: string;
  id: string | null;
  status: number;
  at: number;
  detail?: string;
}

/**
 * createWithRetry (POST `path`, default /v1/vms, which waits for the VM to run) is a well-behaved client: it sends a create with an Idempotency-Key to the
 * coordinators in turn and retries on 5xx or a dropped connection, with the same key, until deadline.
 */
export async function createWithRetry(
  cs: Coordinator[],
  token: string,
  key: string,
  body: Record<string, unknown>,
  deadlineMs: number,
  path = '/v1/vms',
): Promise<CreateOutcome> {
  let status = 0;
  for (let i = 0; Date.now() < deadlineMs; i++) {
    const c = cs[i % cs.length]!;
    try {
      const r = await c.api('POST', path, { token, body, headers: { 'idempotency-key': key } });
      status = r.status;
      if (r.status < 300) return { key, id: r.body.id as string, status, at: Date.now() };
      if (r.status < 500) return { key, id: null, status, at: Date.now(), detail: JSON.stringify(r.body) };
    } catch {
      status = 0;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { key, id: null, status, at: Date.now() };
}

/**
 * createTenantRetry makes a tenant like a well-behaved admin client: a 503 (retryable: no_quorum,
 * not_leader, fenced) or a dropped connection is retried on the next coordinator until the bound;
 * any other refusal fails at once. Returns the tenant and every retryable code it met on the way.
 */
export async function createTenantRetry(
  cs: Coordinator[],
  name: string,
  timeoutMs = haBoundMs(),
): Promise<{ id: string; token: string; retried: string[] }> {
  const quota = { vcpus: 512, memory_mb: 4_194_304, vms: 100 };
  const retried: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    const c = cs[i % cs.length]!;
    const r = await c.api('POST', '/v1/tenants', { body: { name, quota } }).catch(() => null);
    if (r?.status === 201) return { id: r.body.id, token: r.body.token, retried };
    if (r?.status === 409 && r.body?.code === 'name_in_use' && retried.length) {
      // an earlier attempt's outcome was unknown (etcd timed out) and it did land: find it
      const list = (await c.api('GET', '/v1/tenants')).body.tenants as { id: string; name: string }[];
      const found = list.find((t) => t.name === name);
      if (found) return { id: found.id, token: '', retried };
    }
    if (r && r.status !== 503)
      throw new Error(`tenant ${name}: ${r.status} ${JSON.stringify(r.body)} after ${retried.join(',')}`);
    retried.push(r ? String(r.body?.code) : 'connection');
    if (Date.now() > deadline)
      throw new Error(`tenant ${name}: no 201 within ${timeoutMs} ms (${retried.join(',')})`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/**
 * auditedTenants maps each tenant id to how many accepted `tenant.create` entries the audit log
 * holds for it (refused attempts are audited too, as rejected:<code>, and are not counted).
 */
export async function auditedTenants(c: Coordinator): Promise<Map<string, number>> {
  const entries = (await c.api('GET', '/v1/audit?limit=500')).body.entries as {
    op: string;
    tenant: string | null;
    result: string;
  }[];
  const out = new Map<string, number>();
  for (const e of entries)
    if (e.op === 'tenant.create' && e.result === 'ok' && e.tenant)
      out.set(e.tenant, (out.get(e.tenant) ?? 0) + 1);
  return out;
}
