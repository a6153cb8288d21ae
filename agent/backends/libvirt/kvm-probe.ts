import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Hypervisor } from './hypervisor.js';
import { el, renderXml } from './domain/xmlnode.js';

/** KVM_PROBE_MARKER is the line the probe guest writes to its serial port when its loop is done. */
export const KVM_PROBE_MARKER = 'VMPOOL-KVM-OK';
/** PROBE_LOOP_ITERATIONS takes ~30 ms at hardware speed, ~0.4 s under TCG, minutes when emulated. */
const PROBE_LOOP_ITERATIONS = 50_000_000;

/** KvmProbeResult is what running the probe guest under KVM showed, and how long it took. */
export interface KvmProbeResult {
  readonly kvm: boolean;
  readonly reason?: string;
  readonly ms: number;
}

/**
 * probeBootSector is a 512-byte BIOS boot sector: a 50M-iteration `dec ecx; jnz` loop, then the
 * marker written to COM1 (0x3f8) and `hlt`. Hand-assembled (16-bit real mode, loaded at 0x7c00):
 *   xor ax,ax; mov ds,ax; cld; mov dx,0x3f8; mov ecx,N; l: dec ecx; jnz l
 *   mov si,msg; p: lodsb; test al,al; jz h; out dx,al; jmp p; h: cli; hlt; jmp h; msg: db marker,10,0
 */
export function probeBootSector(iterations = PROBE_LOOP_ITERATIONS): Buffer {
  const n = Buffer.alloc(4);
  n.writeUInt32LE(iterations);
  const head = Buffer.from([
    0x31,
    0xc0,
    0x8e,
    0xd8,
    0xfc,
    0xba,
    0xf8,
    0x03,
    0x66,
    0xb9,
    ...n,
    0x66,
    0x49,
    0x75,
    0xfc,
  ]);
  const msgAt = 0x7c00 + head.length + 15;
  const print = [
    0xbe,
    msgAt & 0xff,
    msgAt >> 8,
    0xac,
    0x84,
    0xc0,
    0x74,
    0x03,
    0xee,
    0xeb,
    0xf8,
    0xfa,
    0xf4,
    0xeb,
    0xfc,
  ];
  const code = Buffer.concat([head, Buffer.from(print), Buffer.from(`${KVM_PROBE_MARKER}\n\0`, 'latin1')]);
  const sector = Buffer.alloc(512);
  code.copy(sector);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** probeDomainXml is the probe guest: type='kvm', 16 MiB, the boot sector as its disk, serial logged. */
export function probeDomainXml(name: string, diskPath: string, logPath: string, virtType = 'kvm'): string {
  return renderXml(
    el(
      'domain',
      { type: virtType },
      el('name', {}, name),
      el('memory', { unit: 'MiB' }, 16),
      el('vcpu', {}, 1),
      el('os', {}, el('type', { arch: 'x86_64', machine: 'pc' }, 'hvm'), el('boot', { dev: 'hd' })),
      el('on_poweroff', {}, 'destroy'),
      el(
        'devices',
        {},
        el(
          'disk',
          { type: 'file', device: 'disk' },
          el('driver', { name: 'qemu', type: 'raw' }),
          el('source', { file: diskPath }),
          el('target', { dev: 'hda', bus: 'ide' }),
        ),
        el('serial', { type: 'pty' }, el('log', { file: logPath, append: 'off' })),
        el('memballoon', { model: 'none' }),
      ),
    ),
  );
}

const PROBE_PREFIX = 'vmpool-kvm-probe-';
/** STALE_PROBE_MS: a probe domain older than this is a leftover (no probe runs that long). */
export const STALE_PROBE_MS = 5 * 60_000;

/** probeDomainName names a probe domain with its start time (epoch seconds), so a leftover can be told by age. */
export function probeDomainName(nowMs: number): string {
  return `${PROBE_PREFIX}${Math.floor(nowMs / 1000)}-${randomUUID().slice(0, 8)}`;
}

/**
 * sweepStaleProbes removes the probe domains, and this directory's probe files, that a probe killed
 * before its cleanup left behind (an agent stopped or killed mid-probe at start). Only names of this
 * format older than STALE_PROBE_MS count, so a probe running now in another process is left alone.
 */
export async function sweepStaleProbes(hv: Hypervisor, dir: string, nowMs: number): Promise<string[]> {
  const stale = (name: string): boolean => {
    const m = /^vmpool-kvm-probe-(\d{9,11})-[0-9a-f]{8}(?:\.img|\.log)?$/.exec(name);
    return m !== null && nowMs - Number(m[1]) * 1000 > STALE_PROBE_MS;
  };
  const swept: string[] = [];
  for (const d of await hv.listDomains().catch(() => [])) {
    if (!stale(d.name)) continue;
    await hv.destroy(d.name).catch(() => undefined);
    await hv.undefine(d.name).catch(() => undefined);
    swept.push(d.name);
  }
  for (const f of await readdir(dir).catch(() => [] as string[]))
    if (stale(f)) await rm(join(dir, f), { force: true });
  return swept;
}

/**
 * probeKvm proves KVM by running a guest: the probe domain must print its marker within timeoutMs.
 * A /dev/kvm that opens but emulates (nested PVM without vmx/svm) fails here with the reason.
 */
export async function probeKvm(
  hv: Hypervisor,
  dir: string,
  timeoutMs: number,
  /** virtType 'qemu' runs the same probe under TCG (tests: the marker path works) */
  virtType: 'kvm' | 'qemu' = 'kvm',
): Promise<KvmProbeResult> {
  const start = Date.now();
  const name = probeDomainName(start);
  const disk = join(dir, `${name}.img`);
  const log = join(dir, `${name}.log`);
  await sweepStaleProbes(hv, dir, start);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await writeFile(disk, probeBootSector(), { mode: 0o644 });
  try {
    await hv.defineXml(probeDomainXml(name, disk, log, virtType));
    await hv.start(name);
    while (Date.now() - start < timeoutMs) {
      const out = await readFile(log, 'latin1').catch(() => '');
      if (out.includes(KVM_PROBE_MARKER)) return { kvm: true, ms: Date.now() - start };
      await new Promise((r) => setTimeout(r, 50));
    }
    const reason = `KVM probe guest did not reach its marker within ${timeoutMs} ms (guests do not run at hardware speed here)`;
    return { kvm: false, reason, ms: Date.now() - start };
  } catch (err) {
    return {
      kvm: false,
      reason: `KVM probe guest failed: ${(err as Error).message}`,
      ms: Date.now() - start,
    };
  } finally {
    await hv.destroy(name).catch(() => undefined);
    await hv.undefine(name).catch(() => undefined);
    await rm(disk, { force: true });
    await rm(log, { force: true });
  }
}
