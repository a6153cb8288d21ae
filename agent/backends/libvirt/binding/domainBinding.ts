import { checkPtr, checkRc, remote } from './callFailure.js';
import type { LibvirtSymbols, Ptr } from './symbols.js';
import { decodeTypedParams, type TypedParamValue, withTypedParamArray } from './typedParams.js';

// Same naming rule as binding.ts: the C symbol without `vir`. These act on a domain handle the caller owns.

/** domainCreate starts a defined domain. */
export async function domainCreate(sym: LibvirtSymbols, dom: Ptr): Promise<void> {
  checkRc(sym, 'virDomainCreate', await remote(sym, sym.virDomainCreate, dom));
}

/** domainSuspend pauses a running domain's vCPUs (virDomainSuspend); memory stays allocated. */
export async function domainSuspend(sym: LibvirtSymbols, dom: Ptr): Promise<void> {
  checkRc(sym, 'virDomainSuspend', await remote(sym, sym.virDomainSuspend, dom));
}

/** domainResume lets a paused domain's vCPUs run again (virDomainResume). */
export async function domainResume(sym: LibvirtSymbols, dom: Ptr): Promise<void> {
  checkRc(sym, 'virDomainResume', await remote(sym, sym.virDomainResume, dom));
}

/** domainShutdown asks the guest to shut down (ACPI); it returns before the guest is off. */
export async function domainShutdown(sym: LibvirtSymbols, dom: Ptr): Promise<void> {
  checkRc(sym, 'virDomainShutdown', await remote(sym, sym.virDomainShutdown, dom));
}

/** domainDestroy stops the domain immediately. */
export async function domainDestroy(sym: LibvirtSymbols, dom: Ptr): Promise<void> {
  checkRc(sym, 'virDomainDestroy', await remote(sym, sym.virDomainDestroy, dom));
}

/** domainUndefineFlags removes the persistent definition with extra cleanup flags. */
export async function domainUndefineFlags(sym: LibvirtSymbols, dom: Ptr, flags: number): Promise<void> {
  checkRc(sym, 'virDomainUndefineFlags', await remote(sym, sym.virDomainUndefineFlags, dom, flags));
}

/** domainUndefine removes the persistent definition. */
export async function domainUndefine(sym: LibvirtSymbols, dom: Ptr): Promise<void> {
  checkRc(sym, 'virDomainUndefine', await remote(sym, sym.virDomainUndefine, dom));
}

/** domainGetVcpuPinInfo returns one cpumap of maplen bytes per vCPU, concatenated. */
export async function domainGetVcpuPinInfo(
  sym: LibvirtSymbols,
  dom: Ptr,
  opts: CpumapRequest & { ncpumaps: number },
) {
  const cpumaps = Buffer.alloc(opts.ncpumaps * opts.maplen);
  const rc = await remote(
    sym,
    sym.virDomainGetVcpuPinInfo,
    dom,
    opts.ncpumaps,
    cpumaps,
    opts.maplen,
    opts.flags,
  );
  const filled = checkRc(sym, 'virDomainGetVcpuPinInfo', rc);
  return { filled, cpumaps };
}

/** CpumapRequest sizes a cpumap (bytes per map) and picks live or config via flags. */
export interface CpumapRequest {
  readonly maplen: number;
  readonly flags: number;
}

/** domainGetEmulatorPinInfo returns the emulator threads' cpumap (all host cpus when unpinned). */
export async function domainGetEmulatorPinInfo(
  sym: LibvirtSymbols,
  dom: Ptr,
  opts: CpumapRequest,
): Promise<Buffer> {
  const cpumap = Buffer.alloc(opts.maplen);
  checkRc(
    sym,
    'virDomainGetEmulatorPinInfo',
    await remote(sym, sym.virDomainGetEmulatorPinInfo, dom, cpumap, opts.maplen, opts.flags),
  );
  return cpumap;
}

/** domainGetNumaParameters returns numa_mode / numa_nodeset; libvirt's strings are freed before return. */
export async function domainGetNumaParameters(sym: LibvirtSymbols, dom: Ptr, flags: number) {
  // First call with no array asks libvirt how many parameters it has.
  const nparams: [number] = [0];
  checkRc(
    sym,
    'virDomainGetNumaParameters',
    await remote(sym, sym.virDomainGetNumaParameters, dom, null, nparams, flags),
  );
  if (nparams[0] === 0) return new Map<string, TypedParamValue>();
  return withTypedParamArray(sym, nparams[0], async (params) => {
    checkRc(
      sym,
      'virDomainGetNumaParameters',
      await remote(sym, sym.virDomainGetNumaParameters, dom, params, nparams, flags),
    );
    return new Map(decodeTypedParams(sym, params, nparams[0]));
  });
}

/** domainGetMetadata returns the metadata text (freed by the HeapString type); throws code 80 when absent. */
export async function domainGetMetadata(
  sym: LibvirtSymbols,
  dom: Ptr,
  opts: MetadataTarget,
): Promise<string> {
  return checkPtr(
    sym,
    'virDomainGetMetadata',
    await remote(sym, sym.virDomainGetMetadata, dom, opts.type, opts.uri, opts.flags),
  );
}

/** MetadataTarget names one metadata slot: type (element/title/description), namespace URI, impact flags. */
export interface MetadataTarget {
  readonly type: number;
  readonly uri: string | null;
  readonly flags: number;
}

/** domainSetMetadata stores (or with null metadata, removes) one metadata slot. */
export async function domainSetMetadata(
  sym: LibvirtSymbols,
  dom: Ptr,
  opts: MetadataTarget & { metadata: string | null; key: string | null },
): Promise<void> {
  const rc = await remote(
    sym,
    sym.virDomainSetMetadata,
    dom,
    opts.type,
    opts.metadata,
    opts.key,
    opts.uri,
    opts.flags,
  );
  checkRc(sym, 'virDomainSetMetadata', rc);
}
