import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { LeaderElection, type Role } from './election.js';
import { EtcdCluster } from './testing/etcd-cluster.js';

// Real single-member etcd on a loopback port; each case has its own election key.
let cluster: EtcdCluster;
let client: Etcd3;
let n = 0;
const log = createLogger({ component: 'coordinator', level: 'error' });
beforeAll(async () => {
  cluster = await EtcdCluster.start(1);
  client = new Etcd3({ hosts: cluster.endpoints });
}, 30_000);
afterAll(async () => {
  client?.close();
  await cluster?.stop();
});

function candidate(key: string, id: string, roles: Role[]): LeaderElection {
  return new LeaderElection({
    client,
    key,
    id,
    url: `http://${id}`,
    ttlSec: 2,
    pollMs: 50,
    log,
    onChange: async (role) => {
      roles.push(role);
    },
  });
}

describe('LeaderElection on etcd', () => {
  it('elects exactly one of two; the other follows it; on resign the other leads with a higher term', async () => {
    const key = `/election-${++n}`;
    const ra: Role[] = [];
    const rb: Role[] = [];
    const a = candidate(key, 'a', ra);
    const b = candidate(key, 'b', rb);
    a.start();
    await expect.poll(() => a.role, { timeout: 5_000 }).toBe('leader');
    b.start();
    await expect.poll(() => b.leader?.id, { timeout: 5_000 }).toBe('a');
    expect(b.role).toBe('follower');
    expect(b.fence()).toBeNull();
    const first = a.fence()!;
    expect(first.createRevision).toBe(a.leader!.term);
    await a.stop();
    await expect.poll(() => b.role, { timeout: 5_000 }).toBe('leader');
    expect(BigInt(b.fence()!.createRevision)).toBeGreaterThan(BigInt(first.createRevision));
    expect(ra).toEqual(['leader']);
    expect(rb).toEqual(['follower', 'leader']);
    await b.stop();
  });

  it('a leader whose key was taken over steps down at its next poll', async () => {
    const key = `/election-${++n}`;
    const roles: Role[] = [];
    const a = candidate(key, 'a', roles);
    a.start();
    await expect.poll(() => a.role, { timeout: 5_000 }).toBe('leader');
    // as after a pause past the lease: the key is gone and someone else holds it
    await client.delete().key(key);
    await client.put(key).value(JSON.stringify({ id: 'z', url: 'http://z' }));
    await expect.poll(() => a.role, { timeout: 5_000 }).toBe('follower');
    expect(a.leader?.id).toBe('z');
    expect(a.fence()).toBeNull();
    await a.stop();
  });
});
