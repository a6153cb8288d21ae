import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT_PREFIX,
  agentSpec,
  domainNames,
  localArgs,
  removeDomains,
  runAgent,
  SpecDir,
  treeOf,
} from './helpers/agent.js';
import { requireBuild } from './helpers/procs.js';

// The images filesystem runs full during a spawn: a 3 MiB tmpfs holding a base image and a filler
// file. The spawn must fail with a stable code and leave nothing: no domain, sidecar or partial file.

const execFileP = promisify(execFile);
const PREFIX = `${AGENT_PREFIX}enospc-`;
const FILLER = 'filler.bin';

let mountPoint: string;
let mounted = false;
let specs: SpecDir;

beforeAll(async () => {
  requireBuild();
  specs = await SpecDir.create();
  mountPoint = await mkdtemp(join(tmpdir(), PREFIX));
  await execFileP('mount', ['-t', 'tmpfs', '-o', 'size=3M,mode=0755', 'tmpfs', mountPoint]);
  mounted = true;
  await mkdir(join(mountPoint, 'base'), { mode: 0o755 });
  await execFileP('qemu-img', ['create', '-q', '-f', 'qcow2', join(mountPoint, 'base', 'blank.qcow2'), '1G']);
});

afterAll(async () => {
  await removeDomains(PREFIX);
  if (mounted) await execFileP('umount', [mountPoint]);
  await rm(mountPoint, { recursive: true, force: true });
  await rm(specs.dir, { recursive: true, force: true });
});

/** fillLeaving writes the filler file so that about `leaveBytes` stay free on the mount. */
async function fillLeaving(leaveBytes: number): Promise<void> {
  await rm(join(mountPoint, FILLER), { force: true });
  const fs = await statfs(mountPoint);
  const free = fs.bavail * fs.bsize;
  await writeFile(join(mountPoint, FILLER), Buffer.alloc(Math.max(0, free - leaveBytes)));
}

const ROWS = [
  {
    what: 'about 300 KB free: overlay fits, seed ISO does not',
    leave: 300 * 1024,
    want: /^seed_iso_failed$/,
  },
  {
    what: 'about 100 KB free: the overlay cannot be written',
    leave: 100 * 1024,
    want: /^disk_create_failed$/,
  },
  { what: 'no space at all: not even the first sidecar fits', leave: 0, want: /^sidecar_write_failed$/ },
];

describe('vmpool-agent spawn on a full images filesystem', () => {
  it.each(ROWS)('$what → fails with a stable code and leaves nothing', async ({ leave, want }) => {
    const name = `${PREFIX}${leave}`;
    await fillLeaving(leave);
    const spec = agentSpec(mountPoint, name);
    const run = await runAgent(['spawn', '--spec', await specs.write(spec), ...localArgs(mountPoint)]);
    const code = /^vmpool-agent: (\S+):/m.exec(run.stderr)?.[1];
    console.log(
      `ENOSPC with ${leave} bytes left → exit ${run.code}, code ${code}: ${run.stderr.split('\n').at(-2)}`,
    );
    expect(run.signal).toBeNull();
    expect(run.code).not.toBe(0);
    expect(code).toMatch(want);
    expect(await domainNames()).not.toContain(name);
    expect((await treeOf(mountPoint)).filter((p) => p !== FILLER)).toEqual([]);
  });
});
