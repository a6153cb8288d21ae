import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { VmNetworkPlan } from '../backend.js';
import { macFor } from './domain/network.js';
import { freeLoopbackPort } from './ports.js';
import { VM_DIR_MODE } from '../../disk/modes.js';
import { failpoint } from '../../../shared/failpoint.js';
import type { SpawnSpec } from '../../../shared/spec.js';
import { parseCpuList } from '../../../shared/cpulist.js';
import { isLibvirtError, VIR_ERR } from './binding/errors.js';
import type { Hypervisor } from './hypervisor.js';
import { bridgeExists } from './domain/bridge.js';
import { parseVmpoolMetadata } from './domain/parse.js';
import { buildDomainXml } from './domain/xml.js';
import { createBlank, createOverlay } from '../../disk/qemu-img.js';
import type { SpawnPhase } from '../../sidecar/schema.js';
import { verifyPinning } from './verify.js';

/** SpawnContext is what the steps need beyond the spec: the hypervisor and host facts. */
export interface SpawnContext {
  readonly hv: Hypervisor;
  readonly spec: SpawnSpec;
  readonly vmId: string;
  readonly kvm: boolean;
  readonly threadsPerCore: number;
  readonly areSiblings: (a: number, b: number) => boolean;
  readonly sysRoot: string;
  /** userNetwork gives a user-mode NIC when the spec names no bridge (demo hosts without br0) */
  readonly userNetwork: boolean;
  /** network is the MAC and SSH port recorded in the sidecar; without it they are derived/picked anew */
  readonly network?: VmNetworkPlan;
  /** uuid keeps the domain's id when an existing domain is redefined (resize) */
  readonly uuid?: string;
}

/** CONSOLE_LOG_NAME is the serial console log beside the VM's disk (virtlogd rotates it: .0, .1, …). */
export const CONSOLE_LOG_NAME = 'console.log';

/** consoleLogPath is where a VM's serial console is logged. */
export function consoleLogPath(spec: SpawnSpec): string {
  return join(dirname(spec.disk_path), CONSOLE_LOG_NAME);
}

/** SpawnStep is one idempotent, undoable step; `phase` is recorded in the sidecar once it is done. */
export interface SpawnStep {
  readonly phase: SpawnPhase;
  run(ctx: SpawnContext): Promise<void>;
}

/** SPAWN_STEPS are the spawn pipeline in order; rollback (undoSpawn) undoes them all, in reverse. */
export const SPAWN_STEPS: readonly SpawnStep[] = [
  {
    phase: 'overlay',
    async run({ spec }) {
      await createOverlay({ base: spec.base_image_path, path: spec.disk_path, sizeGb: spec.disk_size_gb });
    },
  },
  {
    phase: 'extra_disks',
    async run({ spec }) {
      for (const d of spec.extra_disks ?? []) {
        await mkdir(dirname(d.path), { recursive: true, mode: VM_DIR_MODE });
        await createBlank({ path: d.path, sizeGb: d.size_gb });
      }
    },
  },
  {
    phase: 'seed_iso',
    async run({ spec, vmId, network }) {
      // loaded on the first spawn: the YAML writer is ~1 MiB of heap an idle agent never needs
      const [{ buildSeedFiles }, { writeSeedIso }] = await Promise.all([
        import('../../cloudinit/seed.js'),
        import('../../cloudinit/iso.js'),
      ]);
      const files = buildSeedFiles({
        instanceId: vmId,
        hostname: spec.name,
        users: spec.user_configs,
        network: { macAddress: network?.mac ?? macFor(vmId) },
      });
      await writeSeedIso(files, spec.cloud_init_iso_path);
    },
  },
  {
    phase: 'defined',
    async run(ctx) {
      const { spec } = ctx;
      const bridge = spec.bridge_network_interface ?? null;
      const userNet = !bridge && ctx.userNetwork;
      const xml = buildDomainXml(spec, {
        kvm: ctx.kvm,
        vmId: ctx.vmId,
        ...(ctx.uuid !== undefined ? { uuid: ctx.uuid } : {}),
        ...(spec.vmid !== undefined ? { vmid: spec.vmid } : {}),
        ...(spec.tenant !== undefined ? { tenant: spec.tenant } : {}),
        pins: spec.tuning.vcpu_pins.map(Number),
        emulatorCpus: parseCpuList(spec.tuning.emulator_cpuset),
        bridgeExists: bridge ? await bridgeExists(bridge, ctx.sysRoot) : false,
        userNetwork: ctx.userNetwork,
        mac: ctx.network?.mac ?? macFor(ctx.vmId),
        ...(userNet ? { sshPort: ctx.network?.ssh_port ?? (await freeLoopbackPort(new Set())) } : {}),
        consoleLogPath: consoleLogPath(spec),
        threadsPerCore: ctx.threadsPerCore,
        areSiblings: ctx.areSiblings,
        ...(spec.cpu_mode ? { cpuMode: spec.cpu_mode } : {}),
      });
      await ctx.hv.defineXml(xml);
    },
  },
  {
    phase: 'started',
    async run({ hv, spec }) {
      const dom = await hv.lookupDomain(spec.name);
      if (dom?.state === 'running') return;
      await hv.start(spec.name).catch(async (err) => {
        // a start retried after a lost reply finds the domain already running: that is success
        if ((await hv.lookupDomain(spec.name))?.state !== 'running') throw err;
      });
    },
  },
  {
    phase: 'verified',
    async run({ hv, spec }) {
      await verifyPinning(hv, spec);
    },
  },
];

/** redefine runs the `defined` step alone: the domain XML from the spec replaces the stopped domain's definition. */
export async function redefine(ctx: SpawnContext): Promise<void> {
  const step = SPAWN_STEPS.find((s) => s.phase === 'defined');
  await step?.run(ctx);
}

/** runSteps runs every step after `from`, calling `done` (which persists the phase) after each. */
export async function runSteps(
  ctx: SpawnContext,
  from: SpawnPhase,
  done: (phase: SpawnPhase) => Promise<void>,
): Promise<void> {
  const start = SPAWN_STEPS.findIndex((s) => s.phase === from) + 1;
  for (const step of SPAWN_STEPS.slice(start)) {
    await step.run(ctx);
    failpoint(`spawn:${step.phase}`);
    await done(step.phase);
    failpoint(`spawn:${step.phase}:recorded`);
  }
}

/**
 * undoSpawn removes everything a spawn may have made; every part tolerates a missing piece. The domain
 * is only touched when its vmpool metadata names this VM: a same-named domain vmpool did not make
 * (or another VM's) is never stopped or undefined.
 */
export async function undoSpawn(
  hv: Hypervisor,
  spec: SpawnSpec,
  opts: { vmId: string; keepDisk?: boolean },
): Promise<void> {
  await removeOwnDomain(hv, spec.name, opts.vmId);
  failpoint('undo:domain-removed');
  await rm(spec.cloud_init_iso_path, { force: true });
  await removeConsoleLogs(spec);
  if (opts.keepDisk) return;
  for (const d of spec.extra_disks ?? []) await rm(d.path, { force: true });
  await rm(spec.disk_path, { force: true });
}

/** removeConsoleLogs deletes the console log and virtlogd's rotated copies (console.log.0, .1, …). */
async function removeConsoleLogs(spec: SpawnSpec): Promise<void> {
  const dir = dirname(spec.disk_path);
  const names = await readdir(dir).catch(() => [] as string[]);
  const logs = names.filter((n) => n === CONSOLE_LOG_NAME || n.startsWith(`${CONSOLE_LOG_NAME}.`));
  for (const n of logs) await rm(join(dir, n), { force: true });
}

/** removeOwnDomain stops and undefines the domain `name` only if its vmpool metadata names vmId. */
export async function removeOwnDomain(hv: Hypervisor, name: string, vmId: string): Promise<void> {
  if (!(await ownsDomain(hv, name, vmId))) return;
  const dom = await hv.lookupDomain(name);
  if (dom && dom.state !== 'shutoff') await hv.destroy(name).catch(ignoreNotRunning);
  await hv.undefine(name);
}

/**
 * ownsDomain says whether the domain called `name` exists and carries this VM's vmpool id. Only "no
 * such domain" counts as not ours: any other failure is rethrown, so the caller stops before it
 * deletes files a still-defined domain uses (the next recovery retries).
 */
async function ownsDomain(hv: Hypervisor, name: string, vmId: string): Promise<boolean> {
  if (!(await hv.lookupDomain(name))) return false;
  let xml: string;
  try {
    xml = await hv.xmlDesc(name, { inactive: true });
  } catch (err) {
    if (isLibvirtError(err, VIR_ERR.NO_DOMAIN)) return false;
    throw err;
  }
  return parseVmpoolMetadata(xml)?.id === vmId;
}

function ignoreNotRunning(err: unknown): void {
  // the domain stopped between lookup and destroy
  if (!isLibvirtError(err, VIR_ERR.OPERATION_INVALID)) throw err;
}
