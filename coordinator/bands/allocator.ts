import type { StoreState } from '../store/types.js';
import { type Band, type BandConfig, BandError } from './config.js';

/** VmidRequest asks for a band (lowest free VMID in it) and/or one explicit VMID. */
export interface VmidRequest {
  band?: string;
  vmid?: number;
}

/** VmidAllocation is the VMID handed out and the band it lies in (undefined when unbanded). */
export interface VmidAllocation {
  vmid: number;
  band: string | undefined;
}

/** usedVmids collects the VMIDs every stored VM holds. */
export function usedVmids(state: StoreState): Set<number> {
  return new Set(Object.values(state.vms).map((vm) => vm.vmid));
}

/**
 * allocate picks a VMID: the explicit one when free and inside a band (or the requested band), else
 * the lowest free VMID of the requested band, else of the default band. It is pure and synchronous,
 * so calling it and recording the VM inside ONE `store.update` mutator makes allocation atomic:
 * no other update can run between the check and the write (no scan-then-create race).
 */
export function allocate(
  config: BandConfig,
  used: ReadonlySet<number>,
  request: VmidRequest,
  firstFree: FirstFree = scanFree,
): VmidAllocation {
  const named = request.band === undefined ? undefined : findBand(config, request.band);
  if (request.vmid !== undefined) return explicitVmid(config, used, request.vmid, named);
  const band =
    named ?? (config.default_band === undefined ? undefined : findBand(config, config.default_band));
  if (!band) throw new BandError('band_required', 'Cannot allocate a VMID: give a band or a vmid');
  const vmid = firstFree(band.from, band.to, used);
  if (vmid !== undefined) return { vmid, band: band.name };
  throw new BandError(
    'band_full',
    `Cannot allocate a VMID in band "${band.name}": all ${band.to - band.from + 1} are in use`,
    {
      band: band.name,
    },
  );
}

/** FirstFree finds the lowest VMID in [from, to] not in `used` (undefined: none); an index may remember where it stopped. */
export type FirstFree = (from: number, to: number, used: ReadonlySet<number>) => number | undefined;

/** scanFree is FirstFree by a scan from `from` (what a store without an index pays per allocation). */
export function scanFree(from: number, to: number, used: ReadonlySet<number>): number | undefined {
  for (let vmid = from; vmid <= to; vmid++) if (!used.has(vmid)) return vmid;
  return undefined;
}

/** checkName throws name_pattern_mismatch when the band has a name_pattern the VM name does not match. */
export function checkName(band: Band, name: string): void {
  if (band.name_pattern === undefined || new RegExp(band.name_pattern).test(name)) return;
  throw new BandError(
    'name_pattern_mismatch',
    `Cannot name a VM in band "${band.name}": name must match ${band.name_pattern}`,
    { band: band.name, pattern: band.name_pattern },
  );
}

/** findBand returns the named band or throws unknown_band. */
export function findBand(config: BandConfig, name: string): Band {
  const band = config.bands.find((b) => b.name === name);
  if (!band) throw new BandError('unknown_band', 'Cannot allocate a VMID: no such band', { band: name });
  return band;
}

/** bandOf returns the band containing vmid, if any. */
export function bandOf(config: BandConfig, vmid: number): Band | undefined {
  return config.bands.find((b) => b.from <= vmid && vmid <= b.to);
}

function explicitVmid(
  config: BandConfig,
  used: ReadonlySet<number>,
  vmid: number,
  named: Band | undefined,
): VmidAllocation {
  if (used.has(vmid))
    throw new BandError('vmid_in_use', `Cannot allocate VMID ${vmid}: already in use`, { vmid });
  const band = bandOf(config, vmid);
  if (named && band !== named) {
    throw new BandError('vmid_outside_bands', `Cannot allocate VMID ${vmid}: outside band "${named.name}"`, {
      vmid,
      band: named.name,
    });
  }
  if (!band && !config.allow_unbanded) {
    throw new BandError('vmid_outside_bands', `Cannot allocate VMID ${vmid}: outside every configured band`, {
      vmid,
    });
  }
  return { vmid, band: band?.name };
}
