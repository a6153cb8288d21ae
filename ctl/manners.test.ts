import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './run.js';
import { ctlAgainstApp, runCaptured } from './testing/against-app.js';
import { SEED_003_VM1 } from './testing/seed-003.js';

const ctl = (argv: string[], env: NodeJS.ProcessEnv = {}) => runCaptured(argv, { env });

describe('vmpoolctl manners', () => {
  it('suggests the command a typo was meant to be', async () => {
    const r = await ctl(['spwan']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('(did you mean spawn?)');
  });

  it('prints its version with --version and `version`', async () => {
    expect((await ctl(['--version'])).stdout).toMatch(/^vmpoolctl \d+\.\d+\.\d+\n$/);
  });

  it('prints help for a command group such as `tenants --help`', async () => {
    const r = await ctl(['tenants', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('tenants create');
    expect(r.stdout).toContain('tenants list');
  });

  it('refuses extra arguments, pointing `nodes show X` at `node X`', async () => {
    const r = await ctl(['nodes', 'show', 'hv-a']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('vmpoolctl node ID');
  });

  it('gives up after --timeout seconds with exit 3', async () => {
    const never = () => new Promise<Response>(() => undefined);
    let stderr = '';
    const code = await run(['--timeout', '0.2', 'list'], {
      env: { VMPOOL_URL: 'http://127.0.0.1:9' },
      fetch: (_u, init) =>
        new Promise<Response>((_res, rej) => {
          init?.signal?.addEventListener('abort', () => rej(init.signal?.reason));
          void never();
        }),
      stdout: { write: () => undefined },
      stderr: { write: (t: string) => (stderr += t) },
    });
    expect(code).toBe(3);
    expect(stderr).toContain('timeout: Cannot get an answer');
    expect((await ctl(['--timeout', 'soon', 'list'])).code).toBe(2);
  });
});

describe('vmpoolctl day-2 verbs against the real app', () => {
  it('stops, starts and reboots a VM by name; drains a node after showing the plan', async () => {
    const x = await ctlAgainstApp();
    const spec = join(x.dir, 'two.json');
    writeFileSync(spec, JSON.stringify([SEED_003_VM1, { ...SEED_003_VM1, name: 'second', vcpu_count: 2 }]));
    const both = await x.ctl(['--json', 'spawn', '--spec', spec]);
    expect(both.code, both.stderr).toBe(0);
    expect(JSON.parse(both.stdout).vms.map((v: { name: string }) => v.name)).toEqual([
      SEED_003_VM1.name,
      'second',
    ]);
    expect((await x.ctl(['stop', 'second', '--timeout-s', '1'])).stdout).toMatch(/^state:\s+stopped$/m);
    expect((await x.ctl(['start', 'second'])).stdout).toMatch(/^state:\s+running$/m);
    expect((await x.ctl(['reboot', 'second'])).code).toBe(0);
    const plan = await x.admin(['nodes', 'drain', 'node-a']);
    expect(plan.stdout).toContain('plan for draining node-a');
    expect(plan.stdout).toMatch(/second\s+\S+\s+\S+\s+running\s+stop\s+-/);
    const done = await x.admin(['nodes', 'drain', 'node-a', '--yes', '--timeout-s', '1']);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/second\s+\S+\s+\S+\s+stopped\s+stop\s+ok/);
    const cap = await x.admin(['capacity', '--vcpus', '4', '--memory-mb', '4096']);
    expect(cap.stdout).toMatch(/^\d+ more VM\(s\) of 4 vCPU \/ 4096 MiB \(dedicated\) fit now$/m);
    const list = await x.admin(['list', '--state', 'stopped']);
    expect(list.stdout.trimEnd().split('\n')).toHaveLength(3);
  });
});
