// bench/spawn.ts — spawn latency of a pinned VM on the real qemu:///system, vmpool against peers:
//   vmpool   the agent's pipeline in-process (overlay, seed ISO, sidecar, define, start, pin read-back)
//   virsh    the same steps as plain commands: qemu-img, genisoimage, virsh define, virsh start
//   virt-install  the usual peer tool (Debian package virtinst; skipped when absent), same pins + ISO
// Also the agent's own memory: RSS of a real `vmpool-agent run` process. Run after `npm run build`: node dist/bench/spawn.js [--runs 5]
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildSeedFiles } from '../agent/cloudinit/seed.js';
import { writeSeedIso } from '../agent/cloudinit/iso.js';
import { buildDomainXml } from '../agent/backends/libvirt/domain/xml.js';
import { LibvirtBackend, openLibvirtConnection } from '../agent/backends/libvirt/index.js';
import { SidecarStore } from '../agent/sidecar/store.js';
import { readHostTopology } from '../agent/topology/index.js';
import { AGENT_NODE_FLAGS } from '../agent/node-flags.js';
import { VmManager } from '../agent/vms/manager.js';
import { createLogger } from '../shared/log.js';
import type { SpawnSpec } from '../shared/spec.js';
import { integer } from './lib/option-kinds.js';
import { parseOptions } from './lib/options.js';

const run = promisify(execFile);
const RUNS = parseOptions(process.argv.slice(2), { runs: integer({ min: 1, default: 5 }) }).runs;
const URI = 'qemu:///system';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchKeyForVmpoolSpawnLatency bench@vmpool';

function spec(dir: string, name: string): SpawnSpec {
  return {
    name,
    vcpu_count: 2,
    memory_mb: 128,
    disk_path: join(dir, name, 'root.qcow2'),
    disk_size_gb: 2,
    base_image_path: join(dir, 'base.qcow2'),
    bridge_network_interface: null,
    cloud_init_iso_path: join(dir, name, 'seed.iso'),
    tuning: { vcpu_pins: ['0', '1'], emulator_cpuset: '0-1', numa_memory: { nodeset: '0', mode: 'strict' } },
    user_configs: [{ username: 'admin', ssh_authorized_keys: [KEY] }],
  };
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function virsh(...args: string[]): Promise<void> {
  await run('virsh', ['-c', URI, ...args]);
}

async function cleanup(name: string): Promise<void> {
  await virsh('destroy', name).catch(() => undefined);
  await virsh('undefine', name).catch(() => undefined);
}

async function byVmpool(m: VmManager, dir: string, i: number): Promise<number> {
  const s = spec(dir, `bench-vmpool-${i}`);
  const ms = await timed(async () => void (await m.spawn(s)));
  await m.destroy(s.name);
  return ms;
}

async function byVirsh(dir: string, i: number, kvm: boolean): Promise<number> {
  const s = spec(dir, `bench-virsh-${i}`);
  const xmlPath = join(dir, `${s.name}.xml`);
  const ms = await timed(async () => {
    await run('mkdir', ['-p', join(dir, s.name)]);
    await run('qemu-img', [
      'create',
      '-q',
      '-f',
      'qcow2',
      '-b',
      s.base_image_path,
      '-F',
      'qcow2',
      s.disk_path,
      '2G',
    ]);
    await writeSeedIso(
      buildSeedFiles({ instanceId: s.name, hostname: s.name, users: s.user_configs }),
      s.cloud_init_iso_path,
    );
    await writeFile(
      xmlPath,
      buildDomainXml(s, { kvm, vmId: s.name, pins: [0, 1], emulatorCpus: [0, 1], bridgeExists: false }),
    );
    await virsh('define', xmlPath);
    await virsh('start', s.name);
  });
  await cleanup(s.name);
  await rm(join(dir, s.name), { recursive: true, force: true });
  return ms;
}

async function byVirtInstall(dir: string, i: number): Promise<number> {
  const s = spec(dir, `bench-vi-${i}`);
  const ms = await timed(async () => {
    await run('mkdir', ['-p', join(dir, s.name)]);
    await writeSeedIso(
      buildSeedFiles({ instanceId: s.name, hostname: s.name, users: s.user_configs }),
      s.cloud_init_iso_path,
    );
    await run('virt-install', [
      '--connect',
      URI,
      '--name',
      s.name,
      '--memory',
      '128',
      '--vcpus',
      '2',
      '--cputune',
      'vcpupin0.vcpu=0,vcpupin0.cpuset=0,vcpupin1.vcpu=1,vcpupin1.cpuset=1,emulatorpin.cpuset=0-1',
      '--numatune',
      '0,mode=strict',
      '--disk',
      `path=${s.disk_path},size=2,backing_store=${s.base_image_path},backing_format=qcow2,format=qcow2,bus=virtio`,
      '--disk',
      `path=${s.cloud_init_iso_path},device=cdrom,bus=sata`,
      // virt-install's default CPU aborts QEMU on this nested host (MSR 0x10a); the known workaround
      '--cpu',
      'host-passthrough,disable=arch-capabilities',
      '--import',
      '--osinfo',
      'detect=on,require=off',
      '--network',
      'none',
      '--graphics',
      'none',
      '--noautoconsole',
      '--wait',
      '0',
    ]);
  });
  await cleanup(s.name);
  await rm(join(dir, s.name), { recursive: true, force: true });
  return ms;
}

function stats(label: string, xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const median = s[Math.floor(s.length / 2)]!;
  return `${label.padEnd(14)} median ${median.toFixed(0).padStart(5)} ms   min ${s[0]!.toFixed(0).padStart(5)} ms   max ${s.at(-1)!.toFixed(0).padStart(5)} ms   (${xs.length} runs)`;
}

async function hasVirtInstall(): Promise<boolean> {
  return run('virt-install', ['--version']).then(
    () => true,
    () => false,
  );
}

/**
 * agentRssMib starts the real agent with the node flags it runs with for real (its coordinator
 * unreachable, so it idles retrying) and reads VmRSS 8 s later; `agent-rss` is the idle figure.
 */
async function agentRssMib(imagesDir: string): Promise<string> {
  const bin = new URL('../agent/main.js', import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    [...AGENT_NODE_FLAGS, bin, 'run', '--coordinator', 'ws://127.0.0.1:9', '--images-dir', imagesDir],
    {
      env: { ...process.env, VMPOOL_JOIN_TOKEN: 'bench-join-token-0123456789', VMPOOL_LOG_LEVEL: 'error' },
      stdio: 'ignore',
    },
  );
  // past the start-up KVM probe (5 s bound): a SIGTERM during it would leave the probe guest for the next start to sweep
  await new Promise((r) => setTimeout(r, 8_000));
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  child.kill('SIGTERM');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return (kib / 1024).toFixed(1);
}

const dir = await mkdtemp(join(tmpdir(), 'vmpool-bench-spawn-'));
await run('chmod', ['0755', dir]);
await run('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'base.qcow2'), '1G']);
const hv = await openLibvirtConnection(URI);
const topology = await readHostTopology({ capabilitiesXml: await hv.capabilities() });
const log = createLogger({ component: 'agent', level: 'error' });
const m = new VmManager({
  backend: new LibvirtBackend({ hv, topology }),
  sidecars: new SidecarStore({ imagesDir: dir }),
  topology,
  hostReservedCpus: [],
  imagesDir: dir,
  shutdownTimeoutMs: 0,
  log,
});
const results: Record<string, number[]> = { vmpool: [], virsh: [], 'virt-install': [] };
const peer = await hasVirtInstall();
for (let i = 0; i < RUNS; i++) {
  results.vmpool!.push(await byVmpool(m, dir, i));
  results.virsh!.push(await byVirsh(dir, i, topology.kvm));
  if (peer) results['virt-install']!.push(await byVirtInstall(dir, i));
}
console.log(
  `spawn latency to a running, pinned 2-vCPU / 128 MiB guest (${topology.kvm ? 'KVM' : 'TCG'}, ${URI})`,
);
for (const [k, v] of Object.entries(results)) if (v.length) console.log(stats(k, v));
if (!peer) console.log('virt-install        not installed (apt-get install virtinst) — skipped');
console.log(`vmpool includes: validation, sidecar writes (fsync) per step, pin read-back through libvirt`);
await hv.close();
console.log(
  `agent memory   ${await agentRssMib(dir)} MiB RSS: vmpool-agent run on qemu:///system, 8 s after start (the idle figure: agent-rss)`,
);
await rm(dir, { recursive: true, force: true });
