import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { liveView } from '../../shared/testing/live-view.js';
import { BIN, makeImagesDir, requireBuild, virsh } from './procs.js';

const execFileP = promisify(execFile);

/** AGENT_PREFIX starts every domain and temp folder the agent e2e tests make, so cleanup finds them. */
export const AGENT_PREFIX = 'e2e-agent-';

/** KEY_ED25519 and KEY_RSA are well-formed public key lines; the first has a comment with spaces. */
export const KEY_ED25519 =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGd8mVb7yQ3bPzU0cR6nSxk5uKZp4x1YhQ9iC2w3e4Fo ops laptop (work key)';
export const KEY_RSA = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7x9Y2mQ== deploy@ci';

/** AgentRun is one finished `vmpool-agent` process: exit code or killing signal, and its output. */
export interface AgentRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** runAgent runs the compiled agent CLI to completion, keeping the signal that killed it (failpoints). */
export async function runAgent(args: string[], env: Record<string, string> = {}): Promise<AgentRun> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [BIN.agent, ...args], {
      env: { ...process.env, ...env },
      maxBuffer: 16 << 20,
    });
    return { code: 0, signal: null, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; signal?: NodeJS.Signals; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === 'number' ? e.code : null,
      signal: e.signal ?? null,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    };
  }
}

/** localArgs are the flags every local agent command takes in these tests. */
export function localArgs(imagesDir: string, extra: string[] = []): string[] {
  return [
    '--images-dir',
    imagesDir,
    '--libvirt-uri',
    'qemu:///system',
    '--shutdown-timeout-ms',
    '500',
    ...extra,
  ];
}

/** agentSpec is a seed-003-shaped spec scaled to this 2-CPU, 1-node host, with its files under imagesDir/name. */
export function agentSpec(
  imagesDir: string,
  name: string,
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name,
    vcpu_count: 2,
    memory_mb: 128,
    disk_path: join(imagesDir, name, 'disk.qcow2'),
    disk_size_gb: 2,
    base_image_path: join(imagesDir, 'base', 'blank.qcow2'),
    bridge_network_interface: null,
    cloud_init_iso_path: join(imagesDir, name, 'seed.iso'),
    tuning: { vcpu_pins: ['0', '1'], emulator_cpuset: '0-1', numa_memory: { nodeset: '0', mode: 'strict' } },
    user_configs: [{ username: 'ops', ssh_authorized_keys: [KEY_ED25519, KEY_RSA] }],
    ...over,
  };
}

/** SpecDir holds spec files outside the images dir, so the images tree only shows what the agent made. */
export class SpecDir {
  private n = 0;
  private constructor(readonly dir: string) {}

  /** SpecDir.create makes a fresh folder for spec files. */
  static async create(): Promise<SpecDir> {
    return new SpecDir(await mkdtemp(join(tmpdir(), `${AGENT_PREFIX}specs-`)));
  }

  /** write stores a spec (object or raw text) and returns its path. */
  async write(spec: unknown): Promise<string> {
    const file = join(this.dir, `spec-${++this.n}.json`);
    await writeFile(file, typeof spec === 'string' ? spec : JSON.stringify(spec));
    return file;
  }
}

/** AgentWorkdir is an agent e2e file's images dir (with a blank base image) and its spec folder. */
export interface AgentWorkdir {
  readonly images: string;
  readonly specs: SpecDir;
}

/**
 * useAgentWorkdir registers the hooks the agent e2e files repeated: before the file, check the build
 * and make the images dir and spec folder; after it, remove every domain named with `prefix`, then
 * both folders. Read the fields inside a test or a later hook.
 */
export function useAgentWorkdir(prefix: string): AgentWorkdir {
  let images: string | null = null;
  let work: AgentWorkdir | null = null;
  beforeAll(async () => {
    requireBuild();
    images = await makeImagesDir(prefix);
    work = { images, specs: await SpecDir.create() };
  });
  afterAll(async () => {
    await removeDomains(prefix);
    for (const dir of [images, work?.specs.dir]) if (dir) await rm(dir, { recursive: true, force: true });
  });
  return liveView(() => {
    if (!work) throw new Error("useAgentWorkdir: the workdir exists only once the file's beforeAll ran");
    return work;
  });
}

/** treeOf lists every file and folder below dir (relative paths, folders end in '/'), skipping base/. */
export async function treeOf(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .map((e) => relative(dir, join(e.parentPath, e.name)) + (e.isDirectory() ? '/' : ''))
    .filter((p) => p !== 'base/' && !p.startsWith('base/'))
    .sort();
}

/** domainNames lists every domain libvirt knows (running or not). */
export async function domainNames(uri = 'qemu:///system'): Promise<string[]> {
  return (await virsh(['list', '--all', '--name'], uri)).split('\n').filter(Boolean);
}

/** domainState is `virsh domstate` for a name, or null when the domain does not exist. */
export async function domainState(name: string, uri = 'qemu:///system'): Promise<string | null> {
  return virsh(['domstate', name], uri).then(
    (s) => s.trim(),
    () => null,
  );
}

/** removeDomains destroys and undefines every domain whose name starts with prefix (test cleanup). */
export async function removeDomains(prefix: string, uri = 'qemu:///system'): Promise<void> {
  for (const name of await domainNames(uri)) {
    if (!name.startsWith(prefix)) continue;
    await virsh(['destroy', name], uri).catch(() => undefined);
    await virsh(['undefine', name], uri).catch(() => undefined);
  }
}

/** vcpuPinsOf parses `virsh vcpupin NAME` into one affinity string per vCPU. */
export async function vcpuPinsOf(name: string): Promise<string[]> {
  const out = await virsh(['vcpupin', name]);
  return [...out.matchAll(/^\s*(\d+)\s+(\S+)\s*$/gm)].map((m) => m[2] as string);
}

/** emulatorPinOf parses `virsh emulatorpin NAME` into its affinity string. */
export async function emulatorPinOf(name: string): Promise<string | undefined> {
  return /\*:\s*(\S+)/.exec(await virsh(['emulatorpin', name]))?.[1];
}

/** numaTuneOf parses `virsh numatune NAME` into mode and nodeset. */
export async function numaTuneOf(name: string): Promise<{ mode?: string; nodeset?: string }> {
  const out = await virsh(['numatune', name]);
  return { mode: /numa_mode\s*:\s*(\S+)/.exec(out)?.[1], nodeset: /numa_nodeset\s*:\s*(\S+)/.exec(out)?.[1] };
}

/** isoFile reads one file out of an ISO 9660 image with Joliet names. */
export async function isoFile(iso: string, path: string): Promise<string> {
  return (await execFileP('isoinfo', ['-i', iso, '-J', '-x', path])).stdout;
}

/** isoVolumeId reads an ISO's volume id (cloud-init NoCloud needs `cidata`). */
export async function isoVolumeId(iso: string): Promise<string | undefined> {
  return /^Volume id:\s*(\S*)/m.exec((await execFileP('isoinfo', ['-d', '-i', iso])).stdout)?.[1];
}
