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

async function openOrNull(backend: 'rpc' | 'koffi'): Promise<LibvirtHypervisor | null> {
  try {
    return await openLibvirt(URI, { backend });
  } catch (err) {
    console.warn(`Skipping qemu:///system tests: cannot open ${URI}: ${(err as Error).message}`);
    return null;
  }
}

// Both backends against the same libvirtd: the RPC client (the agent's default for this URI) and
// libvirt.so in this process (whose remote driver speaks the same protocol).
const hvs = { rpc: await openOrNull('rpc'), koffi: await openOrNull('koffi') };
const hv = hvs.rpc;
const names: string[] = [];

afterAll(async () => {
  if (hv === null) return;
  for (const name of names) {
    const dom = await hv.lookupDomain(name);
    if (dom?.state === 'running') await hv.destroy(name);
    if (dom !== null) await hv.undefine(name);
  }
  await hv.close();
  await hvs.koffi?.close();
});

const CASES = (['kvm', 'qemu'] as const).flatMap((accel) =>
  (['rpc', 'koffi'] as const).map((b) => [accel, b] as const),
);

describe.skipIf((hvs.rpc === null || hvs.koffi === null) && !STRICT_TESTS).each(CASES)(
  'LibvirtHypervisor on qemu:///system (%s, %s)',
  (accel, backend) => {
    const name = `vmpool-h1-${accel}-${backend}-${process.pid}`;
    const live = hvs[backend] as LibvirtHypervisor;

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

describe.skipIf((hvs.rpc === null || hvs.koffi === null) && !STRICT_TESTS)(
  'the RPC and koffi backends agree',
  () => {
    const name = `vmpool-h1-agree-${process.pid}`;
    const rpc = hvs.rpc as LibvirtHypervisor;
    const koffi = hvs.koffi as LibvirtHypervisor;

    beforeAll(async () => {
      names.push(name);
      await rpc.defineXml(domainXml(name, 'qemu'));
      await rpc.start(name);
    });

    it('on the summary, info, XML, pins, node info and the stats keys of one running domain', async () => {
      const both = async <T>(read: (hv: LibvirtHypervisor) => Promise<T>) => [
        await read(rpc),
        await read(koffi),
      ];
      const [a, b] = await both((hv) => hv.lookupDomain(name));
      expect(a).toEqual(b);
      expect((await both((hv) => hv.listDomains())).map((l) => l.find((d) => d.name === name))).toEqual([
        a,
        a,
      ]);
      const [xa, xb] = await both((hv) => hv.xmlDesc(name));
      expect(xa).toBe(xb);
      const [pa, pb] = await both(async (hv) => [
        await hv.vcpuPins(name),
        await hv.emulatorPin(name),
        await hv.numaTune(name),
      ]);
      expect(pa).toEqual(pb);
      const [na, nb] = await both((hv) => hv.nodeInfo());
      expect(na).toEqual(nb);
      expect(await rpc.hostCpuCount()).toBe(await koffi.hostCpuCount());
      const [sa, sb] = await both(
        async (hv) => (await hv.allDomainStats()).find((r) => r.name === name)?.stats,
      );
      expect(Object.keys(sa ?? {}).sort()).toEqual(Object.keys(sb ?? {}).sort());
      expect(Object.keys(sa ?? {}).length).toBeGreaterThan(10);
      const strings = Object.entries(sa ?? {}).filter(([, v]) => typeof v === 'string');
      expect(strings).toEqual(Object.entries(sb ?? {}).filter(([, v]) => typeof v === 'string'));
    });

    it('on the error of a missing domain and of a start while running: same code, domain, message, symbol', async () => {
      for (const call of [
        (hv: LibvirtHypervisor) => hv.requireDomain('vmpool-h1-missing'),
        (hv: LibvirtHypervisor) => hv.start(name),
        (hv: LibvirtHypervisor) => hv.defineXml('<domain'),
      ]) {
        const ea = await call(rpc).catch((e: unknown) => e);
        const eb = await call(koffi).catch((e: unknown) => e);
        expect(ea).toBeInstanceOf(LibvirtError);
        expect((ea as LibvirtError).toJSON()).toEqual((eb as LibvirtError).toJSON());
        expect(ea).toMatchObject({
          retryable: (eb as LibvirtError).retryable,
          libvirtMessage: (eb as LibvirtError).libvirtMessage,
        });
      }
    });
  },
);
