import { type Coordinator, startCoordinator, waitFor } from './procs.js';

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
          '2',
          '--etcd-timeout-ms',
          '2000',
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

/** waitLeader waits until one of cs says it is the serving leader and returns it. */
export async function waitLeader(cs: Coordinator[], timeoutMs = 15_000): Promise<Coordinator> {
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
 * createWithRetry is a well-behaved client: it sends a create with an Idempotency-Key to the
 * coordinators in turn and retries on 5xx or a dropped connection, with the same key, until deadline.
 */
export async function createWithRetry(
  cs: Coordinator[],
  token: string,
  key: string,
  body: Record<string, unknown>,
  deadlineMs: number,
): Promise<CreateOutcome> {
  let status = 0;
  for (let i = 0; Date.now() < deadlineMs; i++) {
    const c = cs[i % cs.length]!;
    try {
      const r = await c.api('POST', '/v1/vms', { token, body, headers: { 'idempotency-key': key } });
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
