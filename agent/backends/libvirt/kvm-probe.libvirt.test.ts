import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLibvirtConnection } from './backend.js';
import type { Hypervisor } from './hypervisor.js';
import { probeKvm } from './kvm-probe.js';

// The probe guest on the real qemu:///system (run under the libvirtd lock). Under TCG the boot sector's
// loop and marker finish in about a second, which proves the marker path; under KVM the outcome is the
// host's truth (on the nested-PVM machines here it times out), so only its shape is asserted.

let hv: Hypervisor;
let dir = '';

beforeAll(async () => {
  hv = await openLibvirtConnection('qemu:///system');
  dir = await mkdtemp(join(tmpdir(), 'vmpool-probe-'));
  await chmod(dir, 0o755);
});
afterAll(async () => {
  await hv?.close();
  await rm(dir, { recursive: true, force: true });
});

async function probeDomains(): Promise<string[]> {
  return (await hv.listDomains()).map((d) => d.name).filter((n) => n.startsWith('vmpool-kvm-probe-'));
}

describe('probeKvm on qemu:///system', () => {
  it('reaches the marker under TCG and leaves no domain or file behind', async () => {
    const r = await probeKvm(hv, dir, 20_000, 'qemu');
    expect(r).toMatchObject({ kvm: true });
    expect(r.ms).toBeLessThan(20_000);
    expect(await probeDomains()).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  }, 30_000);

  it('answers within its bound under KVM, with a reason when the marker never came', async () => {
    const r = await probeKvm(hv, dir, 3000);
    expect(r.ms).toBeLessThan(3000 + 5000);
    if (!r.kvm) expect(r.reason).toMatch(/did not reach its marker within 3000 ms|KVM probe guest failed/);
    expect(await probeDomains()).toEqual([]);
  }, 30_000);
});
