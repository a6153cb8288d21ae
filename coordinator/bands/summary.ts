import type { BandRow } from '../../api/fleet.js';
import type { Band } from './config.js';

/** BandUsage is one row of the seed-000 per-band usage table: the API's BandRow, title always set. */
export type BandUsage = BandRow & { title: string };

/** bandSummary counts, per band, how many of its VMIDs are in use. */
export function bandSummary(bands: readonly Band[], used: ReadonlySet<number>): BandUsage[] {
  return bands.map((band) => {
    const total = band.to - band.from + 1;
    let inUse = 0;
    for (const vmid of used) if (band.from <= vmid && vmid <= band.to) inUse++;
    return {
      name: band.name,
      title: band.title ?? band.name,
      from: band.from,
      to: band.to,
      total,
      used: inUse,
      available: total - inUse,
      percent_used: Math.round((inUse / total) * 100_000) / 1000,
    };
  });
}
