// fast-check generators of random fleets, requests and configs, shared by the placement property tests.
import fc from 'fast-check';
import { syntheticHost, syntheticTopology } from '../testing.js';
import type { PlacementConfig, PlacementNode, PlacementRequest } from '../types.js';

/** IMAGES are the base images generated hosts may carry and requests may ask for. */
export const IMAGES = ['deb', 'alp'] as const;

/** shapeArb is a small host shape: 1-3 sockets of 1-8 cores with 1, 2 or 4 threads, 1-64 GiB per NUMA node. */
export const shapeArb = fc.record({
  sockets: fc.integer({ min: 1, max: 3 }),
  coresPerSocket: fc.integer({ min: 1, max: 8 }),
  threadsPerCore: fc.constantFrom(1, 2, 4),
  memoryMbPerNode: fc.integer({ min: 1, max: 64 }).map((gib) => gib * 1024),
});

/**
 * hostArb is host `host-<index>`: mostly alive, KVM and not reserved, up to a third of its threads
 * and some memory reserved for the host, and (sometimes) a list of the images it has.
 */
export const hostArb = (index: number): fc.Arbitrary<PlacementNode> =>
  shapeArb.chain((shape) => {
    const threadIds = syntheticTopology(shape).numa_nodes.flatMap((n) => n.cpus.map((c) => c.id));
    return fc
      .record({
        alive: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
        reserved: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
        kvm: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
        hostReservedCpus: fc.subarray(threadIds, { maxLength: Math.ceil(threadIds.length / 3) }),
        hostReservedMemoryMb: fc.constantFrom(0, 512, 2048),
        images: fc.option(fc.subarray([...IMAGES]), { nil: undefined }),
      })
      .map(({ images, ...opts }) => ({
        ...syntheticHost({ ...shape, id: `host-${index}` }, opts),
        ...(images ? { images } : {}),
      }));
  });

/** fleetArb is 1..maxNodes hosts named host-0, host-1, … */
export const fleetArb = (maxNodes: number): fc.Arbitrary<PlacementNode[]> =>
  fc
    .integer({ min: 1, max: maxNodes })
    .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => hostArb(i))));

/** requestArb is a request without its vm_id: either policy, 1-16 vCPUs, maybe a group and an image. */
export const requestArb: fc.Arbitrary<Omit<PlacementRequest, 'vm_id'>> = fc.record({
  vcpu_count: fc.integer({ min: 1, max: 16 }),
  memory_mb: fc.integer({ min: 64, max: 32768 }),
  cpu_policy: fc.constantFrom('dedicated' as const, 'shared' as const),
  requires_kvm: fc.boolean(),
  allow_reserved: fc.boolean(),
  anti_affinity_group: fc.option(fc.constantFrom('db', 'web', 'cache'), { nil: undefined }),
  image: fc.option(fc.constantFrom(...IMAGES), { nil: undefined }),
});

/** configArb is either ranking, overcommit 1-4 and any seed. */
export const configArb: fc.Arbitrary<PlacementConfig> = fc.record({
  ranking: fc.constantFrom('pack' as const, 'spread' as const),
  cpu_overcommit: fc.integer({ min: 1, max: 4 }),
  seed: fc.integer(),
});
