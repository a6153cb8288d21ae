import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { emptyState } from '../store/types.js';
import { allocate, checkName, findBand, usedVmids } from './allocator.js';
import { type Band, type BandConfig, loadBandConfig, parseBandConfig } from './config.js';
import { bandSummary } from './summary.js';

const band = (name: string, from: number, to: number, extra: Partial<Band> = {}): Band => ({
  name,
  from,
  to,
  ...extra,
});
const config: BandConfig = {
  bands: [band('small', 10, 12), band('ai', 5700, 5999, { name_pattern: '^ai-[a-z0-9]+-(prod|dev)$' })],
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('parseBandConfig', () => {
  it.each([
    ['disjoint bands', [band('a', 1, 9), band('b', 10, 20)], undefined],
    ['touching ends', [band('a', 1, 10), band('b', 10, 20)], 'bands_overlap'],
    ['one inside another', [band('a', 1, 100), band('b', 40, 50)], 'bands_overlap'],
    ['unsorted overlap', [band('b', 50, 60), band('c', 200, 300), band('a', 1, 55)], 'bands_overlap'],
    ['inverted range', [band('a', 20, 10)], 'band_range_inverted'],
    ['duplicate names', [band('a', 1, 2), band('a', 3, 4)], 'band_duplicate_name'],
    ['zero start', [band('a', 0, 4)], 'validation_failed'],
    ['bad name_pattern', [band('a', 1, 4, { name_pattern: '(' })], 'validation_failed'],
  ])('%s → %s', (_what, bands, code) => {
    expect(codeOf(() => parseBandConfig({ bands }))).toBe(code);
  });

  it('names both bands and the shared range in bands_overlap', () => {
    try {
      parseBandConfig({ bands: [band('besu', 1000, 4999), band('rogue', 4990, 5010)] });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toBe('Cannot use bands "besu" and "rogue": they overlap on 4990-4999');
      expect((err as { details: unknown }).details).toEqual({
        bands: ['besu', 'rogue'],
        from: 4990,
        to: 4999,
      });
    }
  });

  it('loads the seed-000 example without overlap', async () => {
    const path = fileURLToPath(new URL('../examples/bands.seed000.json', import.meta.url));
    const seed = await loadBandConfig(path);
    expect(seed.bands.map((b) => b.name)).toEqual([
      'besu',
      'blockscout',
      'cacti',
      'ccip',
      'ai',
      'fabric',
      'firefly',
      'indy',
      'sankofa',
      'sovereign-cloud',
    ]);
    // Per-band totals as in the seed's table (its "11,000" grand total is off: the rows sum to 11,100).
    const totals = bandSummary(seed.bands, new Set()).map((r) => r.total);
    expect(totals).toEqual([4000, 100, 100, 200, 300, 100, 100, 1000, 1200, 4000]);
    expect(checkName(findBand(seed, 'ai'), 'ai-mcp-prod')).toBeUndefined();
    expect(findBand(seed, 'ai').tags).toEqual(['AI']);
  });
});

describe('allocate', () => {
  it('hands out the lowest free VMID of a band, in order', () => {
    const used = new Set<number>();
    const got = [1, 2, 3].map(() => {
      const a = allocate(config, used, { band: 'small' });
      used.add(a.vmid);
      return a;
    });
    expect(got).toEqual([
      { vmid: 10, band: 'small' },
      { vmid: 11, band: 'small' },
      { vmid: 12, band: 'small' },
    ]);
    expect(codeOf(() => allocate(config, used, { band: 'small' }))).toBe('band_full');
  });

  it('fills a gap before going higher', () => {
    expect(allocate(config, new Set([10, 12]), { band: 'small' }).vmid).toBe(11);
  });

  it.each([
    ['free vmid in a band', { vmid: 5701 }, new Set<number>(), { vmid: 5701, band: 'ai' }],
    ['vmid inside the named band', { band: 'ai', vmid: 5999 }, new Set<number>(), { vmid: 5999, band: 'ai' }],
    ['used vmid', { vmid: 11 }, new Set([11]), 'vmid_in_use'],
    ['vmid outside all bands', { vmid: 100 }, new Set<number>(), 'vmid_outside_bands'],
    [
      'vmid in another band than named',
      { band: 'small', vmid: 5701 },
      new Set<number>(),
      'vmid_outside_bands',
    ],
    ['unknown band', { band: 'nope' }, new Set<number>(), 'unknown_band'],
    ['neither band nor vmid without a default', {}, new Set<number>(), 'band_required'],
  ])('%s', (_what, request, used, expected) => {
    if (typeof expected === 'string') expect(codeOf(() => allocate(config, used, request))).toBe(expected);
    else expect(allocate(config, used, request)).toEqual(expected);
  });

  it('allows an unbanded vmid only when the config says so, and uses default_band', () => {
    const open: BandConfig = { ...config, allow_unbanded: true, default_band: 'ai' };
    expect(allocate(open, new Set(), { vmid: 100 })).toEqual({ vmid: 100, band: undefined });
    expect(allocate(open, new Set([5700]), {})).toEqual({ vmid: 5701, band: 'ai' });
  });

  it('usedVmids reads the VMIDs of stored VMs', () => {
    const state = emptyState();
    state.vms.x = { vmid: 10 } as (typeof state.vms)[string];
    expect(allocate(config, usedVmids(state), { band: 'small' }).vmid).toBe(11);
  });
});

describe('checkName', () => {
  it.each([
    ['ai-mcp-prod', undefined],
    ['ai-inf-dev', undefined],
    ['ai-agent-staging', 'name_pattern_mismatch'],
    ['web-1', 'name_pattern_mismatch'],
  ])('%s → %s in the ai band', (name, code) => {
    expect(codeOf(() => checkName(findBand(config, 'ai'), name))).toBe(code);
  });

  it('accepts any name in a band without a pattern', () => {
    expect(codeOf(() => checkName(findBand(config, 'small'), 'anything'))).toBeUndefined();
  });
});

describe('bandSummary', () => {
  it('counts used, available and percent per band, ignoring VMIDs outside it', () => {
    const rows = bandSummary(config.bands, new Set([10, 11, 5700, 42]));
    expect(rows).toEqual([
      {
        name: 'small',
        title: 'small',
        from: 10,
        to: 12,
        total: 3,
        used: 2,
        available: 1,
        percent_used: 66.667,
      },
      {
        name: 'ai',
        title: 'ai',
        from: 5700,
        to: 5999,
        total: 300,
        used: 1,
        available: 299,
        percent_used: 0.333,
      },
    ]);
  });

  it('shows one VMID of a 4,000 band as 0.025 percent', () => {
    expect(bandSummary([band('sc', 10000, 13999)], new Set([10000]))[0]?.percent_used).toBe(0.025);
  });
});
