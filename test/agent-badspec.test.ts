import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT_PREFIX,
  type AgentRun,
  agentSpec,
  domainNames,
  KEY_RSA,
  localArgs,
  runAgent,
  treeOf,
  useAgentWorkdir,
} from './helpers/agent.js';

// Bad specs through `vmpool-agent spawn --spec`: each must exit non-zero with its stable code on
// stderr and create nothing: no domain, no file in the images dir (checked against a snapshot).

const PREFIX = `${AGENT_PREFIX}bad-`;
const NAME = `${PREFIX}vm`;
const PINS = (pins: string[], emulator = '0-1', nodeset = '0') => ({
  vcpu_pins: pins,
  emulator_cpuset: emulator,
  numa_memory: { nodeset, mode: 'strict' },
});

const work = useAgentWorkdir(PREFIX);
let outside: string;

beforeAll(async () => {
  outside = await mkdtemp(join(tmpdir(), `${PREFIX}outside-`));
  await symlink(outside, join(work.images, 'escape-link'));
  await mkdir(join(work.images, 'taken'));
  await writeFile(join(work.images, 'taken', 'disk.qcow2'), 'not yours');
});

afterAll(async () => {
  await rm(outside, { recursive: true, force: true });
});

type Row = { what: string; code: RegExp; spec: () => unknown; args?: string[]; rolledBackAfter?: string };
const over = (o: Record<string, unknown>) => () => agentSpec(work.images, NAME, o);

const ROWS: Row[] = [
  ...['a<b', "x'y", 'a&b', 'web\n1', '../etc'].map((name) => ({
    what: `hostile name ${JSON.stringify(name)}`,
    code: /validation_failed/,
    spec: over({ name }),
  })),
  {
    what: 'ssh key with a newline',
    code: /validation_failed/,
    spec: over({
      user_configs: [{ username: 'ops', ssh_authorized_keys: [`${KEY_RSA}\nssh-rsa AAAAB3Nza evil`] }],
    }),
  },
  {
    what: 'pin count mismatch',
    code: /pin_count_mismatch|validation_failed/,
    spec: over({ tuning: PINS(['0']) }),
  },
  { what: 'pin not online', code: /pin_not_online/, spec: over({ vcpu_count: 1, tuning: PINS(['7']) }) },
  {
    what: 'pin host-reserved',
    code: /pin_host_reserved/,
    spec: over({ vcpu_count: 1, tuning: PINS(['1']) }),
    args: ['--host-reserved-cpus', '1'],
  },
  {
    what: 'NUMA node 1 on a one-node host',
    code: /numa_node_unknown|numa_mismatch/,
    spec: over({ tuning: PINS(['0', '1'], '0-1', '1') }),
  },
  {
    what: 'more memory than the node has',
    code: /insufficient_memory/,
    spec: over({ memory_mb: 16_000_000 }),
  },
  {
    what: 'emulator cpu not online',
    code: /emulator_cpu_unknown/,
    spec: over({ tuning: PINS(['0', '1'], '5') }),
  },
  {
    what: 'disk outside the images dir',
    code: /path_outside_images_dir/,
    spec: () => agentSpec(work.images, NAME, { disk_path: join(outside, 'disk.qcow2') }),
  },
  {
    what: '".." in the disk path',
    code: /path_outside_images_dir/,
    spec: () => agentSpec(work.images, NAME, { disk_path: `${work.images}/${NAME}/../../x/disk.qcow2` }),
  },
  {
    what: 'symlink escaping the images dir',
    code: /path_symlink_escape/,
    spec: () => agentSpec(work.images, NAME, { disk_path: join(work.images, 'escape-link', 'disk.qcow2') }),
  },
  {
    what: 'disk path already exists',
    code: /path_exists/,
    spec: () => agentSpec(work.images, NAME, { disk_path: join(work.images, 'taken', 'disk.qcow2') }),
  },
  {
    what: 'missing base image',
    code: /base_image_missing/,
    spec: () => agentSpec(work.images, NAME, { base_image_path: join(work.images, 'base', 'nope.qcow2') }),
  },
  // found only when the domain is defined, after overlay and ISO exist: this row proves rollback
  {
    what: 'bridge that does not exist',
    code: /bridge_not_found/,
    spec: over({ bridge_network_interface: 'e2enobr0' }),
    rolledBackAfter: 'seed_iso',
  },
  { what: 'malformed JSON file', code: /bad_request/, spec: () => '{"name": "x", ' },
];

async function expectRefused(spec: unknown, code: RegExp, args: string[] = []): Promise<AgentRun> {
  const before = await treeOf(work.images);
  // other suites share this libvirtd: compare only this file's domains
  const ours = async () => (await domainNames()).filter((n) => n.startsWith(PREFIX));
  const domainsBefore = await ours();
  const run = await runAgent([
    'spawn',
    '--spec',
    await work.specs.write(spec),
    ...localArgs(work.images, args),
  ]);
  expect(run.code).not.toBe(0);
  expect(run.signal).toBeNull();
  const line = /^vmpool-agent: (\S+):/m.exec(run.stderr)?.[1];
  expect(line, run.stderr).toMatch(code);
  expect(await ours()).toEqual(domainsBefore);
  expect(await treeOf(work.images)).toEqual(before);
  expect(await treeOf(outside)).toEqual([]);
  return run;
}

describe('vmpool-agent spawn refuses bad specs and creates nothing', () => {
  it.each(ROWS)('$what → $code', async ({ spec, code, args, rolledBackAfter }) => {
    const run = await expectRefused(spec(), code, args);
    if (rolledBackAfter) {
      // the entry names the step that failed (the one after the last step done) and is an error
      const line = run.stderr.split('\n').find((l) => l.includes('rolling back'));
      const entry = JSON.parse(line ?? '{}');
      expect(entry).toMatchObject({ level: 'error', last_done: rolledBackAfter });
      expect(entry.msg).toBe(`vm spawn failed at step ${entry.step}, rolling back`);
      expect(entry.step).not.toBe(rolledBackAfter);
    }
  });
});

describe('vmpool-agent spawn against a VM that already holds the pins', () => {
  const HOLDER = `${PREFIX}holder`;

  beforeAll(async () => {
    const run = await runAgent([
      'spawn',
      '--spec',
      await work.specs.write(agentSpec(work.images, HOLDER)),
      ...localArgs(work.images),
    ]);
    if (run.code !== 0) throw new Error(`holder spawn failed: ${run.stderr}`);
  });

  afterAll(async () => {
    await runAgent(['destroy', HOLDER, ...localArgs(work.images)]);
  });

  it('refuses the same dedicated pins with pin_in_use', async () => {
    await expectRefused(agentSpec(work.images, NAME), /pin_in_use/);
  });

  it('refuses the same name with name_in_use', async () => {
    const spec = agentSpec(work.images, HOLDER, {
      cpu_policy: 'shared',
      disk_path: join(work.images, 'other', 'disk.qcow2'),
    });
    await expectRefused(spec, /name_in_use/);
    expect(existsSync(join(work.images, 'other'))).toBe(false);
  });
});
