import { installErrorSlot } from './errorSlot.js';
import koffi, { type KoffiFunc, type LibraryHandle, type TypeObject } from 'koffi';

/** Ptr is a native pointer as koffi 3 returns it (a BigInt); null pointers come back as null. */
export type Ptr = bigint;

/** VirErrorStruct is the head of libvirt's virError; the binding reads only these fields. */
export interface VirErrorStruct {
  readonly code: number;
  readonly domain: number;
  readonly message: string | null;
}

/** VirNodeInfoStruct is virNodeInfo as koffi decodes it (unsigned long may arrive as BigInt). */
export interface VirNodeInfoStruct {
  readonly model: string;
  readonly memory: number | bigint;
  readonly cpus: number;
  readonly mhz: number;
  readonly nodes: number;
  readonly sockets: number;
  readonly cores: number;
  readonly threads: number;
}

/** VirDomainInfoStruct is virDomainInfo as koffi decodes it. */
export interface VirDomainInfoStruct {
  readonly state: number;
  readonly maxMem: number | bigint;
  readonly memory: number | bigint;
  readonly nrVirtCpu: number;
  readonly cpuTime: number | bigint;
}

/**
 * Remote<T> is a C function that may talk to libvirtd (an RPC for remote URIs, or slow work in the
 * driver): the binding calls it only through `.async` (callFailure.ts's `remote`), so it runs on a
 * libuv pool thread and never blocks the event loop.
 */
export type Remote<T extends (...args: never[]) => unknown> = KoffiFunc<T>;

/**
 * LibvirtSymbols is every C symbol the binding calls, typed; one property per symbol, same name.
 * Plain functions only read or free memory in this process (a handle's name, uuid or id, a free) and
 * are called synchronously; Remote ones go to libvirtd and are called asynchronously.
 */
export interface LibvirtSymbols {
  readonly types: { readonly virError: TypeObject; readonly virTypedParameter: TypeObject };
  /** errorSlot is the virError libvirt copies every failing call's error into (see errorSlot.ts). */
  readonly errorSlot: Ptr;
  free(ptr: Ptr | null): void;
  virResetError(err: Ptr): void;
  virConnectOpen: Remote<(uri: string) => Ptr | null>;
  virConnectClose: Remote<(conn: Ptr) => number>;
  virConnectGetCapabilities: Remote<(conn: Ptr) => string | null>;
  virNodeGetInfo: Remote<(conn: Ptr, out: Record<string, unknown>) => number>;
  virNodeGetCPUMap: Remote<(conn: Ptr, cpumap: null, online: null, flags: number) => number>;
  virConnectListAllDomains: Remote<(conn: Ptr, out: [Ptr | null], flags: number) => number>;
  virConnectGetAllDomainStats: Remote<(conn: Ptr, stats: number, out: [Ptr | null], flags: number) => number>;
  virDomainStatsRecordListFree(records: Ptr): void;
  virTypedParamsClear(params: Ptr, nparams: number): void;
  virDomainLookupByName: Remote<(conn: Ptr, name: string) => Ptr | null>;
  virDomainDefineXML: Remote<(conn: Ptr, xml: string) => Ptr | null>;
  virDomainFree(dom: Ptr): number;
  virDomainGetName(dom: Ptr): string | null;
  virDomainGetUUIDString(dom: Ptr, buf: Buffer): number;
  virDomainGetID(dom: Ptr): number;
  virDomainGetState: Remote<(dom: Ptr, state: [number], reason: [number], flags: number) => number>;
  virDomainIsPersistent: Remote<(dom: Ptr) => number>;
  virDomainIsActive: Remote<(dom: Ptr) => number>;
  virDomainCreate: Remote<(dom: Ptr) => number>;
  virDomainShutdown: Remote<(dom: Ptr) => number>;
  virDomainSuspend: Remote<(dom: Ptr) => number>;
  virDomainResume: Remote<(dom: Ptr) => number>;
  virDomainDestroy: Remote<(dom: Ptr) => number>;
  virDomainUndefine: Remote<(dom: Ptr) => number>;
  virDomainUndefineFlags: Remote<(dom: Ptr, flags: number) => number>;
  virDomainGetXMLDesc: Remote<(dom: Ptr, flags: number) => string | null>;
  virDomainGetInfo: Remote<(dom: Ptr, out: Record<string, unknown>) => number>;
  virDomainGetVcpuPinInfo: Remote<
    (dom: Ptr, ncpumaps: number, cpumaps: Buffer, maplen: number, flags: number) => number
  >;
  virDomainGetEmulatorPinInfo: Remote<(dom: Ptr, cpumap: Buffer, maplen: number, flags: number) => number>;
  virDomainGetNumaParameters: Remote<
    (dom: Ptr, params: Ptr | null, nparams: [number], flags: number) => number
  >;
  virDomainGetMetadata: Remote<(dom: Ptr, type: number, uri: string | null, flags: number) => string | null>;
  virDomainSetMetadata: Remote<
    (
      dom: Ptr,
      type: number,
      metadata: string | null,
      key: string | null,
      uri: string | null,
      flags: number,
    ) => number
  >;
  /** virDomainQemuAgentCommand is from libvirt-qemu.so.0: one guest agent command, JSON in and out */
  virDomainQemuAgentCommand: Remote<(dom: Ptr, cmd: string, timeout: number, flags: number) => string | null>;
  virDomainInterfaceAddresses: Remote<(dom: Ptr, out: [Ptr | null], source: number, flags: number) => number>;
  virDomainInterfaceFree(iface: Ptr): void;
}

let loaded: LibvirtSymbols | undefined;

/** loadLibvirtSymbols loads libvirt.so.0 and libc once per process and installs the error slot. */
export function loadLibvirtSymbols(): LibvirtSymbols {
  loaded ??= declareSymbols(
    koffi.load('libvirt.so.0'),
    koffi.load('libc.so.6'),
    koffi.load('libvirt-qemu.so.0'),
  );
  return loaded;
}

function declareTypes(): LibvirtSymbols['types'] {
  koffi.opaque('virConnect');
  koffi.opaque('virDomain');
  koffi.struct('virNodeInfo', {
    model: koffi.array('char', 32, 'String'),
    memory: 'unsigned long',
    cpus: 'unsigned int',
    mhz: 'unsigned int',
    nodes: 'unsigned int',
    sockets: 'unsigned int',
    cores: 'unsigned int',
    threads: 'unsigned int',
  });
  koffi.struct('virDomainInfo', {
    state: 'unsigned char',
    maxMem: 'unsigned long',
    memory: 'unsigned long',
    nrVirtCpu: 'unsigned short',
    cpuTime: 'unsigned long long',
  });
  // The whole struct (80 bytes on LP64): libvirt copies errors into one we allocate (errorSlot.ts).
  const virError = koffi.struct('virError', {
    code: 'int',
    domain: 'int',
    message: 'char *',
    level: 'int',
    conn: 'void *',
    dom: 'void *',
    str1: 'char *',
    str2: 'char *',
    str3: 'char *',
    int1: 'int',
    int2: 'int',
    net: 'void *',
  });
  // The value union is 8 bytes; the binding reads it per type at offsetof(value).
  const virTypedParameter = koffi.struct('virTypedParameter', {
    field: koffi.array('char', 80, 'String'),
    type: 'int',
    value: 'uint64_t',
  });
  return { virError, virTypedParameter };
}

function declareSymbols(lib: LibraryHandle, libc: LibraryHandle, qemu: LibraryHandle): LibvirtSymbols {
  const types = declareTypes();
  // Caller-frees strings: koffi copies them into JS strings, then calls libc free on the C buffer.
  const free = libc.func('void free(void *ptr)');
  koffi.disposable('HeapString', 'char *', free);
  return {
    types,
    errorSlot: installErrorSlot(lib, types.virError),
    free,
    virResetError: lib.func('void virResetError(void *err)'),
    virConnectOpen: lib.func('virConnect *virConnectOpen(const char *name)'),
    virConnectClose: lib.func('int virConnectClose(virConnect *conn)'),
    virConnectGetCapabilities: lib.func('HeapString virConnectGetCapabilities(virConnect *conn)'),
    virNodeGetInfo: lib.func('int virNodeGetInfo(virConnect *conn, _Out_ virNodeInfo *info)'),
    virNodeGetCPUMap: lib.func(
      'int virNodeGetCPUMap(virConnect *conn, void *cpumap, void *online, unsigned int flags)',
    ),
    virConnectListAllDomains: lib.func(
      'int virConnectListAllDomains(virConnect *conn, _Out_ void **domains, unsigned int flags)',
    ),
    virConnectGetAllDomainStats: lib.func(
      'int virConnectGetAllDomainStats(virConnect *conn, unsigned int stats, _Out_ void **retStats, unsigned int flags)',
    ),
    virDomainStatsRecordListFree: lib.func('void virDomainStatsRecordListFree(void *stats)'),
    virTypedParamsClear: lib.func('void virTypedParamsClear(void *params, int nparams)'),
    virDomainLookupByName: lib.func('virDomain *virDomainLookupByName(virConnect *conn, const char *name)'),
    virDomainDefineXML: lib.func('virDomain *virDomainDefineXML(virConnect *conn, const char *xml)'),
    virDomainFree: lib.func('int virDomainFree(virDomain *dom)'),
    virDomainGetName: lib.func('const char *virDomainGetName(virDomain *dom)'),
    virDomainGetUUIDString: lib.func('int virDomainGetUUIDString(virDomain *dom, _Out_ uint8_t *buf)'),
    virDomainGetID: lib.func('unsigned int virDomainGetID(virDomain *dom)'),
    virDomainGetState: lib.func(
      'int virDomainGetState(virDomain *dom, _Out_ int *state, _Out_ int *reason, unsigned int flags)',
    ),
    virDomainIsPersistent: lib.func('int virDomainIsPersistent(virDomain *dom)'),
    virDomainIsActive: lib.func('int virDomainIsActive(virDomain *dom)'),
    virDomainCreate: lib.func('int virDomainCreate(virDomain *dom)'),
    virDomainShutdown: lib.func('int virDomainShutdown(virDomain *dom)'),
    virDomainSuspend: lib.func('int virDomainSuspend(virDomain *dom)'),
    virDomainResume: lib.func('int virDomainResume(virDomain *dom)'),
    virDomainDestroy: lib.func('int virDomainDestroy(virDomain *dom)'),
    virDomainUndefine: lib.func('int virDomainUndefine(virDomain *dom)'),
    virDomainUndefineFlags: lib.func('int virDomainUndefineFlags(virDomain *dom, unsigned int flags)'),
    virDomainGetXMLDesc: lib.func('HeapString virDomainGetXMLDesc(virDomain *dom, unsigned int flags)'),
    virDomainGetInfo: lib.func('int virDomainGetInfo(virDomain *dom, _Out_ virDomainInfo *info)'),
    virDomainGetVcpuPinInfo: lib.func(
      'int virDomainGetVcpuPinInfo(virDomain *dom, int ncpumaps, _Out_ uint8_t *cpumaps, int maplen, unsigned int flags)',
    ),
    virDomainGetEmulatorPinInfo: lib.func(
      'int virDomainGetEmulatorPinInfo(virDomain *dom, _Out_ uint8_t *cpumap, int maplen, unsigned int flags)',
    ),
    virDomainGetNumaParameters: lib.func(
      'int virDomainGetNumaParameters(virDomain *dom, void *params, _Inout_ int *nparams, unsigned int flags)',
    ),
    virDomainGetMetadata: lib.func(
      'HeapString virDomainGetMetadata(virDomain *dom, int type, const char *uri, unsigned int flags)',
    ),
    virDomainSetMetadata: lib.func(
      'int virDomainSetMetadata(virDomain *dom, int type, const char *metadata, const char *key, const char *uri, unsigned int flags)',
    ),
    virDomainQemuAgentCommand: qemu.func(
      'HeapString virDomainQemuAgentCommand(virDomain *dom, const char *cmd, int timeout, unsigned int flags)',
    ),
    virDomainInterfaceAddresses: lib.func(
      'int virDomainInterfaceAddresses(virDomain *dom, _Out_ void **ifaces, unsigned int source, unsigned int flags)',
    ),
    virDomainInterfaceFree: lib.func('void virDomainInterfaceFree(void *iface)'),
  };
}
