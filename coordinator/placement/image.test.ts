import { describe, expect, it } from 'vitest';
import { imageAvailable } from './checkers.js';
import { placeVm } from './place.js';
import { seed003Host } from './testing.js';
import { DEFAULT_PLACEMENT_CONFIG, type PlacementRequest } from './types.js';

const request: PlacementRequest = {
  vm_id: 'vm',
  vcpu_count: 2,
  memory_mb: 1024,
  cpu_policy: 'dedicated',
  requires_kvm: false,
  allow_reserved: true,
  image: 'debian-12',
};

describe('imageAvailable', () => {
  it.each([
    [undefined, 'debian-12', true],
    [['debian-12'], 'debian-12', true],
    [['ubuntu'], 'debian-12', false],
    [[], undefined, true],
  ])('node images %j, request %j → feasible %s', (images, image, want) => {
    const node = { ...seed003Host('n'), images };
    const verdict = imageAvailable(
      node,
      { ...request, image },
      {
        pass: 1,
        config: DEFAULT_PLACEMENT_CONFIG,
        view: () => {
          throw new Error('unused');
        },
      },
    );
    expect(verdict === true).toBe(want);
    if (!want) expect(verdict).toMatchObject({ reason: 'image_missing' });
  });

  it('placeVm skips a node without the image and says why', () => {
    const without = { ...seed003Host('a-without'), images: ['ubuntu'] };
    const withIt = { ...seed003Host('b-with'), images: ['debian-12'] };
    const r = placeVm([without, withIt], request, DEFAULT_PLACEMENT_CONFIG);
    expect(r.ok && r.decision.node_id).toBe('b-with');
    expect(r.passes[0]!.rejected).toContainEqual(
      expect.objectContaining({ node_id: 'a-without', reason: 'image_missing' }),
    );
  });
});
