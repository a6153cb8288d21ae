import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdCluster } from '../coordinator/ha/testing/etcd-cluster.js';
import { type FakeHost, makeFakeHost, startFakeAgent, vmRequest, waitNodesReady } from './helpers/fleet.js';
import {
  auditedTenants,
  createTenantRetry,
  createWithRetry,
  HA_TIMING,
  haBoundMs,
  healthOf,
  startHaCoordinators,
  waitLeader,
} from './helpers/ha.js';
import {
  ADMIN_TOKEN,
  BIN,
  type Coordinator,
  type Proc,
  requireBuild,
  runBin,
  waitFor,
} from './helpers/procs.js';

// Three real coordinators on a real three-member etcd (Debian's etcd-server on loopback ports) and
// one real agent on libvirt's test driver, which lists all three coordinators and follows the leader.
let etcd: EtcdCluster;
let coords: Coordinator[] = [];
let agent: Proc | null = null;
let host: FakeHost | null = null;
let prefixN = 0;
/** WARMUP_MS: a new leader holds writes at most this long for its agents to reconnect (coordinator/ha/node.ts) */
const WARMUP_MS = 5_000;

const logs = () =>
  [...coords.map((c) => c.out()), agent?.out() ?? ''].map((l) => l.slice(-3000)).join('\n----\n');

beforeAll(async () => {
  requireBuild();
  etcd = await EtcdCluster.start(3);
}, 60_000);

afterAll(async () => {
  await agent?.kill();
  for (const c of coords) await c.kill('SIGKILL');
  await etcd?.stop();
  if (host) await rm(host.imagesDir, { recursive: true, force: true });
});

async function freshCluster(): Promise<void> {
  await agent?.kill();
  for (const c of coords) await c.kill('SIGKILL');
  coords = await startHaCoordinators(3, etcd.endpoints, `/ha-test-${++prefixN}-${Date.now()}`);
}

async function startAgentOnAll(): Promise<void> {
  host ??= await makeFakeHost('ha');
  const all = { url: coords.map((c) => c.url).join(',') } as Coordinator;
  agent = startFakeAgent(all, 'n1', host);
  const leader = await waitLeader(coords);
  await waitNodesReady(leader, ['n1'], logs);
}

describe('HA coordinators on etcd', () => {
  it('kill -9 of the leader during a burst of creates: a new leader serves, nothing lost or doubled', async () => {
    await freshCluster();
    await startAgentOnAll();
    const leader = await waitLeader(coords);
    const { token } = await createTenantRetry([leader], 'burst');
    const survivors = coords.filter((c) => c !== leader);
    const deadline = Date.now() + 60_000;
    const outcomes: Promise<Awaited<ReturnType<typeof createWithRetry>>>[] = [];
    let killedAt = 0;
    let probe: ReturnType<typeof createWithRetry> | null = null;
    for (let i = 0; i < 24; i++) {
      // clients spread over all three coordinators; followers forward creates to the leader
      outcomes.push(
        createWithRetry(
          i % 2 ? coords : [...coords].reverse(),
          token,
          `k${i}`,
          vmRequest(`burst-${i}`, 1, 256),
          deadline,
        ),
      );
      if (i === 8) {
        await new Promise((r) => setTimeout(r, 150));
        killedAt = Date.now();
        await leader.kill('SIGKILL');
        // the failover figure: kill → a create the new leader has made durable (202, as bench/ha.ts);
        // that it then runs is checked below with the others
        probe = createWithRetry(
          survivors,
          token,
          'probe',
          vmRequest('probe', 1, 256),
          deadline,
          '/v1/vms?wait=false',
        );
      }
      await new Promise((r) => setTimeout(r, 40));
    }
    const results = await Promise.all(outcomes);
    const newLeader = await waitLeader(survivors);
    const probed = await probe!;
    expect(probed.id).toBeTruthy();
    const failoverMs = probed.at - killedAt;
    console.log(
      `failover: a create sent right after kill -9 of the leader was durable on the new leader after ${failoverMs} ms`,
    );
    if (results.some((r) => r.status >= 300)) console.log(logs());
    expect(results.filter((r) => r.status >= 300).map((r) => `${r.status} ${r.detail}`)).toEqual([]);
    // kill → lease expiry → next poll elects → reload → agent back or warm-up bound passed → create
    const t = HA_TIMING;
    expect(failoverMs).toBeLessThan(t.leaderTtlMs + t.pollMs + t.etcdTimeoutMs + WARMUP_MS + 3_000);

    // every create a client saw succeed exists exactly once, settles to running, on distinct VMIDs and threads
    const seen = [...results.map((r) => r.id!), probed.id!];
    expect(new Set(seen).size).toBe(25);
    const vms = (await waitFor(
      async () => {
        const r = await newLeader.api('GET', '/v1/vms', { token });
        const list = r.body.vms as { id: string; vmid: number; state: string; vcpu_pins: number[] }[];
        return list.length === 25 && list.every((v) => v.state === 'running') ? list : null;
      },
      { timeoutMs: 30_000, what: `25 running VMs\n${logs()}` },
    ))!;
    expect(vms.map((v) => v.id).sort()).toEqual([...seen].sort());
    expect(new Set(vms.map((v) => v.vmid)).size).toBe(25);
    const pins = vms.flatMap((v) => v.vcpu_pins);
    expect(new Set(pins).size).toBe(pins.length);
    const node = (await newLeader.api('GET', '/v1/nodes/n1')).body;
    expect(node.state).toBe('ready');
    const verify = await newLeader.api('GET', '/v1/audit/verify');
    expect(verify.body).toMatchObject({ ok: true });
    // one claim line per VM (VMs settled by agent reports after the failover add no spawn line)
    const claims = (await newLeader.api('GET', '/v1/audit?limit=500')).body.entries.filter(
      (e: { result: string }) => e.result === 'claimed',
    );
    expect(claims.map((e: { vm: string }) => e.vm).sort()).toEqual([...seen].sort());
  });

  it('a leader paused past its lease is fenced on resume: it writes nothing and steps down', async () => {
    await freshCluster();
    const old = await waitLeader(coords);
    await createTenantRetry([old], 'before-pause');
    old.child.kill('SIGSTOP');
    const others = coords.filter((c) => c !== old);
    const t0 = Date.now();
    const next = await waitLeader(others);
    const takeoverMs = Date.now() - t0;
    await createTenantRetry([next], 'after-takeover');
    // a write queued at the paused leader; the forwarded header keeps a follower from passing it on
    const stale = old.api('POST', '/v1/tenants', {
      body: { name: 'stale-write', quota: { vcpus: 1, memory_mb: 256, vms: 1 } },
      headers: { 'x-vmpool-forwarded': 'test' },
    });
    await new Promise((r) => setTimeout(r, 200));
    old.child.kill('SIGCONT');
    const answer = await stale;
    expect(answer.status).toBe(503);
    expect(['fenced', 'not_leader']).toContain(answer.body.code);
    // stepped down AND learnt who leads now: a lost lease first makes it a follower of nobody
    await waitFor(
      async () => {
        const h = await healthOf(old);
        return h?.role === 'follower' && h.leader === next.url;
      },
      { timeoutMs: haBoundMs(), what: 'old leader to step down and follow the new one' },
    );
    const tenants = (await next.api('GET', '/v1/tenants')).body.tenants as { id: string; name: string }[];
    expect(tenants.map((t) => t.name).sort()).toEqual(['after-takeover', 'before-pause']);
    expect((await next.api('GET', '/v1/audit/verify')).body).toMatchObject({ ok: true });
    // one accepted entry per tenant and none for the stale write (refusals are audited as rejected:*)
    const audited = await auditedTenants(next);
    expect(tenants.map((t) => audited.get(t.id))).toEqual([1, 1]);
    expect(audited.size).toBe(2);
    expect(old.out()).toContain('"role":"follower"');
    // the operator view from the old leader: it follows the new one, etcd healthy with three members
    const ctl = await runBin(BIN.ctl, ['cluster', '--json'], {
      VMPOOL_URL: old.url,
      VMPOOL_TOKEN: ADMIN_TOKEN,
    });
    expect(ctl.code, `${ctl.stdout}${ctl.stderr}`).toBe(0);
    const view = JSON.parse(ctl.stdout);
    expect(view.self).toMatchObject({ role: 'follower' });
    expect(view.leader.url).toBe(next.url);
    expect(view.etcd.healthy).toBe(true);
    expect(view.etcd.members).toHaveLength(3);
    const metrics = await (await fetch(`${next.url}/metrics`)).text();
    // at least this takeover (a CPU-starved leader may renew late and win again: counted, not hidden)
    const won = /vmpool_leadership_changes_total\{role="leader"\} (\d+)/.exec(metrics);
    expect(Number(won?.[1])).toBeGreaterThanOrEqual(1);
    console.log(
      `fencing: takeover ${takeoverMs} ms after SIGSTOP of the leader (lease ${HA_TIMING.leaderTtlMs} ms)`,
    );
  });

  it('survives one etcd member down; without quorum writes answer 503 no_quorum, reads work, then it resumes', async () => {
    await freshCluster();
    const leader = await waitLeader(coords);
    const follower = coords.find((c) => c !== leader)!;
    const q1 = await createTenantRetry([leader], 'q-1');
    await etcd.kill(2);
    // forwarded to the leader; etcd commits on 2 of 3. A write in flight on the dying member's
    // connection, or made while the leader's lease renews through another member, may answer a
    // retryable 503 (never anything else) until the client's bound for one disturbance
    const t0 = Date.now();
    const q2 = await createTenantRetry([follower], 'q-2', haBoundMs());
    console.log(
      `one etcd member down: write accepted after ${Date.now() - t0} ms, retried ${q2.retried.join(',') || 'never'}`,
    );
    expect(q2.retried.every((c) => ['no_quorum', 'not_leader', 'fenced'].includes(c))).toBe(true);
    await etcd.kill(1);
    const refused = await leader.api('POST', '/v1/tenants', {
      body: { name: 'q-lost', quota: { vcpus: 1, memory_mb: 256, vms: 1 } },
    });
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('no_quorum');
    for (const c of coords) {
      const r = await c.api('GET', '/v1/tenants');
      expect(r.status).toBe(200);
      expect(r.body.tenants.map((t: { name: string }) => t.name).sort()).toEqual(['q-1', 'q-2']);
    }
    await waitFor(async () => (await healthOf(follower))?.role === 'no_quorum', {
      timeoutMs: haBoundMs(),
      what: 'no_quorum health',
    });
    etcd.restart(1);
    etcd.restart(2);
    await etcd.waitHealthy(20_000);
    const back = await waitLeader(coords, haBoundMs(2));
    const q3 = await createTenantRetry([back], 'q-3', haBoundMs()).catch((err: Error) => {
      throw new Error(`writes did not resume: ${err.message}\n${logs()}`);
    });
    const all = (await back.api('GET', '/v1/tenants')).body.tenants as { id: string; name: string }[];
    // the refused write's outcome was unknown (503 no_quorum): the member that took it may hold the
    // proposal in its raft log and commit it when quorum returns (etcd semantics, docs/ha.md). It is
    // then whole, never partial; every accepted write is there exactly once.
    const lost = all.filter((t) => t.name === 'q-lost');
    if (lost.length) console.log('quorum loss: the refused q-lost write was committed when quorum returned');
    expect(lost.length).toBeLessThanOrEqual(1);
    const tenants = all.filter((t) => t.name !== 'q-lost');
    expect(tenants.map((t) => t.name).sort()).toEqual(['q-1', 'q-2', 'q-3']);
    expect((await back.api('GET', '/v1/audit/verify')).body).toMatchObject({ ok: true });
    const audited = await auditedTenants(back);
    // every create answered 201 has exactly one audit entry. A create answered 503 whose store write
    // etcd committed later (the client found it by name: token '') has none: the guarantee the
    // design does not give (docs/ha.md) until the entry and the change share one transaction
    const unknown = new Set([q1, q2, q3].filter((q) => q.token === '').map((q) => q.id));
    for (const t of tenants) {
      if (unknown.has(t.id)) {
        console.log(`tenant ${t.name}: outcome was unknown, audit entries ${audited.get(t.id) ?? 0}`);
        expect(audited.get(t.id) ?? 0).toBeLessThanOrEqual(1);
      } else expect(audited.get(t.id), t.name).toBe(1);
    }
  });
});
