import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LibvirtError } from './errors.js';
import { type LibvirtHypervisor, openLibvirt } from './libvirtHypervisor.js';
import { STRICT_TESTS } from '../../../../shared/testing-env.js';

const URI = 'qemu:///system';
const NS = 'https://vmpool.dev/xmlns/h1-test';

// A diskless 2-vCPU guest: enough for QEMU to start and for libvirt to apply cputune/numatune.
function domainXml(name: string, accel: 'kvm' | 'qemu'): string {
  const cpu = accel === 'qemu' ? "<cpu mode='maximum'/>" : '';
  return `<domain type='${accel}'>
  <name>${name}</name>
  <memory unit='MiB'>96</memory>
  <vcpu placement='static'>2</vcpu>
  <cputune>
    <vcpupin vcpu='0' cpuset='0'/>
    <vcpupin vcpu='1' cpuset='1'/>
    <emulatorpin cpuset='0-1'/>
  </cputune>
  <numatune><memory mode='strict' nodeset='0'/></numatune>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  ${cpu}
  <devices><memballoon model='none'/></devices>
</domain>`;
}

async function openOrNull(): Promise<LibvirtHypervisor | null> {
  try {
    return await openLibvirt(URI);
  } catch (err) {
    console.warn(`Skipping qemu:///system tests: cannot open ${URI}: ${(err as Error).message}`);
    return null;
  }
}

const hv = await openOrNull();
const names: string[] = [];

afterAll(async () => {
  if (hv === null) return;
  for (const name of names) {
    const dom = await hv.lookupDomain(name);
    if (dom?.state === 'running') await hv.destroy(name);
    if (dom !== null) await hv.undefine(name);
  }
  await hv.close();
});

describe.skipIf(hv === null && !STRICT_TESTS).each(['kvm', 'qemu'] as const)(
  'LibvirtHypervisor on qemu:///system (%s)',
  (accel) => {
    const name = `vmpool-h1-${accel}-${process.pid}`;
    const live = hv as LibvirtHypervisor;

    beforeAll(async () => {
      names.push(name);
      await live.defineXml(domainXml(name, accel));
      await live.start(name);
    });

    it('runs the domain with the defined accelerator', async () => {
      expect((await live.info(name)).state).toBe('running');
      expect(await live.xmlDesc(name)).toContain(`<domain type='${accel}'`);
    });

    it('vcpuPins reads the pins through virDomainGetVcpuPinInfo as defined', async () => {
      expect(await live.vcpuPins(name)).toEqual([[0], [1]]);
    });

    it('emulatorPin reads the emulator cpuset as defined', async () => {
      expect(await live.emulatorPin(name)).toEqual([0, 1]);
    });

    it('numaTune reads strict on node 0 through virDomainGetNumaParameters', async () => {
      expect(await live.numaTune(name)).toEqual({ mode: 'strict', nodeset: '0' });
    });

    it('allDomainStats has the domain with its vCPU count and state', async () => {
      const record = (await live.allDomainStats()).find((r) => r.name === name);
      expect(record?.stats).toMatchObject({ 'state.state': 1, 'vcpu.current': 2 });
    });

    it('metadata round-trips on the live domain and its config', async () => {
      await live.setMetadata(name, { xml: '<vm id="vm-7"/>', key: 'h1', nsUri: NS });
      expect(await live.getMetadata(name, NS)).toMatch(/^<(h1:)?vm\b[^>]* id="vm-7"\/>$/);
      expect(await live.xmlDesc(name, { inactive: true })).toContain('id="vm-7"');
    });

    it('start while running rejects with operation_invalid (libvirt code 55)', async () => {
      const err = await live.start(name).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LibvirtError);
      expect(err).toMatchObject({ code: 'operation_invalid', libvirtCode: 55 });
    });

    it('destroy then undefine removes it', async () => {
      await live.destroy(name);
      expect((await live.lookupDomain(name))?.state).toBe('shutoff');
      await live.undefine(name);
      expect(await live.lookupDomain(name)).toBeNull();
    });
  },
);
