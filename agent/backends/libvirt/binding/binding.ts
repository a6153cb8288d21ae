import koffi from 'koffi';
import { checkPtr, checkRc, remote } from './callFailure.js';
import { VIR_UUID_STRING_BUFLEN } from './constants.js';
import type { LibvirtSymbols, Ptr, VirDomainInfoStruct, VirNodeInfoStruct } from './symbols.js';
import { decodeTypedParams, type TypedParamValue } from './typedParams.js';

// Naming rule: the C symbol without its `vir` prefix (virDomainGetXMLDesc → domainGetXMLDesc).
// Each function calls, checks, builds the error from the error slot (errorSlot.ts), and frees what the C API hands over.

const NO_ID = 0xffffffff; // virDomainGetID's (unsigned int)-1 for an inactive domain

/** connectOpen opens a connection; the caller owns it and must connectClose it. */
export async function connectOpen(sym: LibvirtSymbols, uri: string): Promise<Ptr> {
  return checkPtr(sym, 'virConnectOpen', await remote(sym, sym.virConnectOpen, uri));
}

/** connectClose drops the connection reference. */
export async function connectClose(sym: LibvirtSymbols, conn: Ptr): Promise<void> {
  checkRc(sym, 'virConnectClose', await remote(sym, sym.virConnectClose, conn));
}

/** connectGetCapabilities returns the capabilities XML (the C string is freed by the HeapString type). */
export async function connectGetCapabilities(sym: LibvirtSymbols, conn: Ptr): Promise<string> {
  return checkPtr(sym, 'virConnectGetCapabilities', await remote(sym, sym.virConnectGetCapabilities, conn));
}

/** nodeGetInfo fills virNodeInfo. */
export async function nodeGetInfo(sym: LibvirtSymbols, conn: Ptr): Promise<VirNodeInfoStruct> {
  const out: Record<string, unknown> = {};
  checkRc(sym, 'virNodeGetInfo', await remote(sym, sym.virNodeGetInfo, conn, out));
  return out as unknown as VirNodeInfoStruct;
}

/** nodeGetCPUMap returns how many host cpu ids exist (the bit count a cpumap must cover). */
export async function nodeGetCPUMap(sym: LibvirtSymbols, conn: Ptr): Promise<number> {
  return checkRc(sym, 'virNodeGetCPUMap', await remote(sym, sym.virNodeGetCPUMap, conn, null, null, 0));
}

/** connectListAllDomains returns domain handles; the caller owns each and must domainFree it. */
export async function connectListAllDomains(sym: LibvirtSymbols, conn: Ptr, flags = 0): Promise<Ptr[]> {
  const out: [Ptr | null] = [null];
  const count = checkRc(
    sym,
    'virConnectListAllDomains',
    await remote(sym, sym.virConnectListAllDomains, conn, out, flags),
  );
  if (out[0] === null) return [];
  const handles = count === 0 ? [] : (koffi.decode(out[0], 'void *', count) as Ptr[]);
  sym.free(out[0]); // the array itself is caller-frees; the handles now belong to our caller
  return handles;
}

/** DomainStatsRecord is one virDomainStatsRecord decoded to JS: domain name and its typed params. */
export interface DomainStatsRecord {
  readonly name: string;
  readonly params: ReadonlyArray<readonly [string, TypedParamValue]>;
}

/** connectGetAllDomainStats decodes every record, then frees the list (domains and params included). */
export async function connectGetAllDomainStats(sym: LibvirtSymbols, conn: Ptr, stats = 0, flags = 0) {
  const out: [Ptr | null] = [null];
  const rc = await remote(sym, sym.virConnectGetAllDomainStats, conn, stats, out, flags);
  const count = checkRc(sym, 'virConnectGetAllDomainStats', rc);
  if (out[0] === null) return [];
  try {
    const records = count === 0 ? [] : (koffi.decode(out[0], 'void *', count) as Ptr[]);
    return records.map((record) => decodeStatsRecord(sym, record));
  } finally {
    sym.virDomainStatsRecordListFree(out[0]);
  }
}

// struct _virDomainStatsRecord { virDomainPtr dom; virTypedParameterPtr params; int nparams; void *priv; }
function decodeStatsRecord(sym: LibvirtSymbols, record: Ptr): DomainStatsRecord {
  const dom = koffi.decode(record, 0, 'void *') as Ptr;
  const params = koffi.decode(record, 8, 'void *') as Ptr | null;
  const nparams = koffi.decode(record, 16, 'int') as number;
  const name = domainGetName(sym, dom);
  return { name, params: params === null ? [] : decodeTypedParams(sym, params, nparams) };
}

/** domainLookupByName returns a handle the caller must domainFree. */
export async function domainLookupByName(sym: LibvirtSymbols, conn: Ptr, name: string): Promise<Ptr> {
  return checkPtr(sym, 'virDomainLookupByName', await remote(sym, sym.virDomainLookupByName, conn, name));
}

/** domainDefineXML returns a handle the caller must domainFree. */
export async function domainDefineXML(sym: LibvirtSymbols, conn: Ptr, xml: string): Promise<Ptr> {
  return checkPtr(sym, 'virDomainDefineXML', await remote(sym, sym.virDomainDefineXML, conn, xml));
}

/** domainFree releases a domain handle (not the domain). */
export function domainFree(sym: LibvirtSymbols, dom: Ptr): void {
  checkRc(sym, 'virDomainFree', sym.virDomainFree(dom));
}

/** domainGetName returns the name; the C string belongs to the handle, so nothing to free. */
export function domainGetName(sym: LibvirtSymbols, dom: Ptr): string {
  return checkPtr(sym, 'virDomainGetName', sym.virDomainGetName(dom));
}

/** domainGetUUIDString returns the canonical UUID text. */
export function domainGetUUIDString(sym: LibvirtSymbols, dom: Ptr): string {
  const buf = Buffer.alloc(VIR_UUID_STRING_BUFLEN);
  checkRc(sym, 'virDomainGetUUIDString', sym.virDomainGetUUIDString(dom, buf));
  return buf.toString('latin1', 0, buf.indexOf(0));
}

/** domainGetID returns the running id, or -1 for an inactive domain. */
export function domainGetID(sym: LibvirtSymbols, dom: Ptr): number {
  const id = sym.virDomainGetID(dom);
  return id === NO_ID ? -1 : id;
}

/** domainGetState returns the virDomainState number and its reason (a per-state enum, e.g. virDomainPausedReason). */
export async function domainGetState(
  sym: LibvirtSymbols,
  dom: Ptr,
): Promise<{ state: number; reason: number }> {
  const state: [number] = [0];
  const reason: [number] = [0];
  checkRc(sym, 'virDomainGetState', await remote(sym, sym.virDomainGetState, dom, state, reason, 0));
  return { state: state[0], reason: reason[0] };
}

/** domainIsPersistent tells whether the domain has a persistent definition. */
export async function domainIsPersistent(sym: LibvirtSymbols, dom: Ptr): Promise<boolean> {
  return checkRc(sym, 'virDomainIsPersistent', await remote(sym, sym.virDomainIsPersistent, dom)) === 1;
}

/** domainIsActive tells whether the domain is running (or paused). */
export async function domainIsActive(sym: LibvirtSymbols, dom: Ptr): Promise<boolean> {
  return checkRc(sym, 'virDomainIsActive', await remote(sym, sym.virDomainIsActive, dom)) === 1;
}

/** domainGetInfo fills virDomainInfo. */
export async function domainGetInfo(sym: LibvirtSymbols, dom: Ptr): Promise<VirDomainInfoStruct> {
  const out: Record<string, unknown> = {};
  checkRc(sym, 'virDomainGetInfo', await remote(sym, sym.virDomainGetInfo, dom, out));
  return out as unknown as VirDomainInfoStruct;
}

/** domainGetXMLDesc returns the domain XML (freed by the HeapString type). */
export async function domainGetXMLDesc(sym: LibvirtSymbols, dom: Ptr, flags: number): Promise<string> {
  return checkPtr(sym, 'virDomainGetXMLDesc', await remote(sym, sym.virDomainGetXMLDesc, dom, flags));
}
