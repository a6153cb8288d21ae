import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Hypervisor, type KvmProbeResult, probeKvm } from './backends/libvirt/index.js';

/** KVM_PROBE_CACHE keeps this boot's probe result (tmpfs: a reboot forgets it). */
export const KVM_PROBE_CACHE = '/run/vmpool/kvm-probe.json';

/** KvmCheckOptions says where to probe, for how long, and whether a cached result may answer. */
export interface KvmCheckOptions {
  readonly uri: string;
  readonly devKvm: string;
  readonly timeoutMs: number;
  /** fresh probes even when this boot's result is cached (inspect, agent start) */
  readonly fresh: boolean;
  readonly cachePath?: string;
}

interface Cached extends KvmProbeResult {
  readonly key: string;
}

/** checkKvm runs the probe guest under KVM (or reuses this boot's result for the same URI and device). */
export async function checkKvm(hv: Hypervisor, o: KvmCheckOptions): Promise<KvmProbeResult> {
  const cachePath = o.cachePath ?? KVM_PROBE_CACHE;
  const key = `${await bootId()} ${o.uri} ${o.devKvm} ${o.timeoutMs}`;
  if (!o.fresh) {
    const cached = await readCached(cachePath);
    if (cached?.key === key)
      return { kvm: cached.kvm, ms: cached.ms, ...(cached.reason ? { reason: cached.reason } : {}) };
  }
  const result = await probeKvm(hv, join(dirname(cachePath), 'kvm-probe'), o.timeoutMs);
  await mkdir(dirname(cachePath), { recursive: true, mode: 0o755 });
  await writeFile(cachePath, `${JSON.stringify({ ...result, key } satisfies Cached)}\n`).catch(
    () => undefined,
  );
  return result;
}

async function readCached(path: string): Promise<Cached | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Cached;
  } catch {
    return null;
  }
}

async function bootId(): Promise<string> {
  return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => 'unknown')).trim();
}
