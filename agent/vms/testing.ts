// Test helpers for the VM manager and recovery: a temp images dir with a real base image, a fake
// sysfs root with a bridge and the seed-003 topology, over libvirt's in-process test:///default driver.
// Test files open one hypervisor per file (beforeAll) and a fresh env per test.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createLogger, type Logger } from '../../shared/log.js';
import type { SpawnSpec } from '../../shared/spec.js';
import type { HostTopology } from '../../shared/topology.js';
import { type Hypervisor, LibvirtBackend } from '../backends/libvirt/index.js';
import { SidecarStore } from '../sidecar/store.js';
import { sidecarPathFor } from '../sidecar/schema.js';
import { readHostTopology } from '../topology/index.js';
import { VmManager, type VmManagerOptions } from './manager.js';

const run = promisify(execFile);

/** SEED003_SYSFS is the sysfs/procfs fixture of the seed-003 host (2 sockets × 18 cores × 2 threads). */
export const SEED003_SYSFS = fileURLToPath(new URL('../../test/fixtures/sysfs/seed003', import.meta.url));

/** quietLog drops everything below error, so test output stays readable. */
export const quietLog: Logger = createLogger({ component: 'agent', level: 'error', sink: () => undefined });

/** VmTestEnv is one test's world: images dir, fake sysfs root, topology and the file's test-driver hypervisor. */
export interface VmTestEnv {
  readonly root: string;
  readonly imagesDir: string;
  readonly sysRoot: string;
  readonly baseImage: string;
  readonly topology: HostTopology;
  readonly hv: Hypervisor;
  readonly sidecars: SidecarStore;
  /** manager builds a fresh VmManager over this env (a restarted agent is just a second one); `hv` swaps the backend's connection */
  manager(overrides?: ManagerOverrides): VmManager;
  /** cleanup undefines every domain named with the env's prefix and removes the files (the hypervisor stays open) */
  cleanup(): Promise<void>;
}

/** ManagerOverrides replace manager options; `hv` gives the backend another connection (a fault-injecting proxy). */
export type ManagerOverrides = Partial<VmManagerOptions> & { hv?: Hypervisor };

/** makeVmTestEnv makes a temp images dir with base/blank.qcow2 and a sysfs root holding bridge br0, over `hv`. */
export async function makeVmTestEnv(prefix: string, hv: Hypervisor): Promise<VmTestEnv> {
  const root = await mkdtemp(join(tmpdir(), `${prefix}-`));
  const imagesDir = join(root, 'images');
  const sysRoot = join(root, 'sysroot');
  const baseImage = join(imagesDir, 'base', 'blank.qcow2');
  await mkdir(dirname(baseImage), { recursive: true });
  // QEMU would run as another user; keep the layout a real agent makes
  await chmod(root, 0o755);
  await chmod(imagesDir, 0o755);
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', baseImage, '1G']);
  await mkdir(join(sysRoot, 'sys/class/net/br0/bridge'), { recursive: true });
  const topology = await readHostTopology({
    sysfsRoot: SEED003_SYSFS,
    capabilitiesXml: null,
    hostname: 'seed003',
  });
  const sidecars = new SidecarStore({ imagesDir });
  const manager = ({ hv: swapped, ...overrides }: ManagerOverrides = {}) =>
    new VmManager({
      backend: new LibvirtBackend({ hv: swapped ?? hv, topology, sysRoot }),
      sidecars,
      topology,
      hostReservedCpus: [],
      imagesDir,
      sysRoot,
      shutdownTimeoutMs: 500,
      log: quietLog,
      ...overrides,
    });
  const cleanup = async () => {
    try {
      for (const d of await hv.listDomains()) {
        if (!d.name.startsWith(prefix)) continue;
        if (d.state !== 'shutoff') await hv.destroy(d.name).catch(() => undefined);
        await hv.undefine(d.name).catch(() => undefined);
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  };
  return { root, imagesDir, sysRoot, baseImage, topology, hv, sidecars, manager, cleanup };
}

/** seedShapedSpec is a small seed-003-style spec under the env: pins 0/36 (siblings on node 0), emulator 16-17,52-53, strict node 0, bridge br0. */
export function seedShapedSpec(env: VmTestEnv, name: string, overrides: Partial<SpawnSpec> = {}): SpawnSpec {
  const dir = join(env.imagesDir, name);
  return {
    name,
    vcpu_count: 2,
    memory_mb: 256,
    disk_path: join(dir, 'root.qcow2'),
    disk_size_gb: 2,
    base_image_path: env.baseImage,
    bridge_network_interface: 'br0',
    cloud_init_iso_path: join(dir, 'seed.iso'),
    tuning: {
      vcpu_pins: ['0', '36'],
      emulator_cpuset: '16-17,52-53',
      numa_memory: { nodeset: '0', mode: 'strict' },
    },
    user_configs: [
      { username: 'admin', ssh_authorized_keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE test@vmpool'] },
    ],
    ...overrides,
  };
}

/** vmFiles tells which of a spec's files exist: disk, seed ISO, sidecar and the VM's folder. */
export function vmFiles(spec: SpawnSpec): { disk: boolean; iso: boolean; sidecar: boolean; folder: boolean } {
  return {
    disk: existsSync(spec.disk_path),
    iso: existsSync(spec.cloud_init_iso_path),
    sidecar: existsSync(sidecarPathFor(spec.disk_path)),
    folder: existsSync(dirname(spec.disk_path)),
  };
}
