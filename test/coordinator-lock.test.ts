import { afterAll, describe, expect, it } from 'vitest';
import { BIN, requireBuild, runBin, startCoordinator, type Coordinator } from './helpers/procs.js';

// Two coordinators on one data dir would each load the state, then fork the audit chain: the
// second must refuse before it touches anything, naming the PID that holds the dir.
describe('coordinator data-dir lock', () => {
  requireBuild();
  const procs: Coordinator[] = [];
  afterAll(async () => {
    for (const p of procs) await p.kill();
  });

  it('refuses a second coordinator on the same data dir with the holder pid, and starts once it stopped', async () => {
    const first = await startCoordinator();
    procs.push(first);
    const env = {
      VMPOOL_ADMIN_TOKEN: 'e2e-admin-token-0123456789',
      VMPOOL_JOIN_TOKEN: 'e2e-join-token-0123456789',
    };
    const second = await runBin(
      BIN.coordinator,
      ['--listen', '127.0.0.1:0', '--data-dir', first.dataDir],
      env,
    );
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`coordinator process ${first.child.pid} owns it`);
    await first.kill();
    const again = await startCoordinator({ dataDir: first.dataDir });
    procs.push(again);
    expect((await again.api('GET', '/v1/tenants')).status).toBe(200);
  });
});
