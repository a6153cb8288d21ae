// useVmTestEnv holds the hooks every VM-manager test file repeated: one test:///default hypervisor
// per file (opening libvirt's worker costs ~0.8 s) and a fresh VmTestEnv per test, cleaned up after it.
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { liveView } from '../../../shared/testing/live-view.js';
import { type Hypervisor, openLibvirtConnection } from '../../backends/libvirt/index.js';
import { makeVmTestEnv, type VmTestEnv } from '../testing.js';

/**
 * useVmTestEnv registers the file's hooks and returns the running test's env: read it inside a test
 * or hook (it is made before each test and removed after it, domains named with `prefix` included).
 * `env.hv` is the file's hypervisor, open from the first test to the last.
 */
export function useVmTestEnv(prefix: string): VmTestEnv {
  let hv: Hypervisor | null = null;
  let current: VmTestEnv | null = null;
  beforeAll(async () => {
    hv = await openLibvirtConnection('test:///default', { pinSource: 'xml' });
  });
  afterAll(async () => {
    await hv?.close();
    hv = null;
  });
  beforeEach(async () => {
    if (!hv) throw new Error('useVmTestEnv: the hypervisor did not open');
    current = await makeVmTestEnv(prefix, hv);
  });
  afterEach(async () => {
    await current?.cleanup();
    current = null;
  });
  const now = (): VmTestEnv => {
    if (!current) throw new Error('useVmTestEnv: the env exists only while a test runs');
    return current;
  };
  return liveView(now);
}
