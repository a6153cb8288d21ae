import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { STRICT_TESTS } from '../../../shared/testing-env.js';
import type { HostTopology } from '../../../shared/topology.js';
import { LibvirtBackend } from './backend.js';
import { type LibvirtHypervisor, openLibvirt } from './binding/libvirtHypervisor.js';

// One real check on qemu:///system (run under flock /tmp/vmpool-libvirtd.lock): a QEMU guest paused
// with `virsh suspend` is reported `paused`/`user` by the agent's backend, and start resumes it.

const URI = 'qemu:///system';
const NAME = `vmpool-pause-${process.pid}`;
const ACCEL = existsSync('/dev/kvm') ? 'kvm' : 'qemu';

const XML = `<domain type='${ACCEL}'>
  <name>${NAME}</name>
  <memory unit='MiB'>96</memory>
  <vcpu placement='static'>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  ${ACCEL === 'qemu' ? "<cpu mode='maximum'/>" : ''}
  <devices><memballoon model='none'/></devices>
</domain>`;

async function openOrNull(): Promise<LibvirtHypervisor | null> {
  try {
    return await openLibvirt(URI);
  } catch (err) {
    console.warn(`Skipping the paused check: cannot open ${URI}: ${(err as Error).message}`);
    return null;
  }
}

const hv = await openOrNull();

afterAll(async () => {
  if (hv === null) return;
  const dom = await hv.lookupDomain(NAME);
  if (dom && dom.state !== 'shutoff') await hv.destroy(NAME);
  if (dom) await hv.undefine(NAME);
  await hv.close();
});

describe.skipIf(hv === null && !STRICT_TESTS)(
  'a QEMU guest paused with virsh suspend (qemu:///system)',
  () => {
    it('reads as paused with reason user, and start resumes the same QEMU process', async () => {
      const live = hv as LibvirtHypervisor;
      // lookup, list and start read only the connection; the topology is for spawning (not used here)
      const backend = new LibvirtBackend({ hv: live, topology: {} as HostTopology });
      await live.defineXml(XML);
      await live.start(NAME);
      const id = (await live.lookupDomain(NAME))?.id;

      const virsh = spawnSync('virsh', ['-c', URI, 'suspend', NAME], { encoding: 'utf8' });
      expect(virsh.status, virsh.stderr).toBe(0);
      expect(await backend.lookup(NAME)).toMatchObject({ state: 'paused', reason: 'user' });
      expect((await backend.list()).find((i) => i.name === NAME)).toMatchObject({
        state: 'paused',
        reason: 'user',
      });

      await backend.start(NAME);
      const after = await backend.lookup(NAME);
      expect(after?.state).toBe('running');
      expect(after?.reason).toBeUndefined();
      expect((await live.lookupDomain(NAME))?.id).toBe(id);
    });
  },
);
