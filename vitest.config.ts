import { defineConfig } from 'vitest/config';

// Four tiers: pure units beside the code, libvirt tests (test driver + real qemu:///system),
// end-to-end tests that start real processes, and the booted-guest test. Real-libvirt tiers run one file at a time.
/** GUEST_TESTS boot a real guest OS (minutes under TCG) */
const GUEST_TESTS = ['test/real-guest.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'agent/**/*.test.ts',
            'coordinator/**/*.test.ts',
            'api/**/*.test.ts',
            'ctl/**/*.test.ts',
            'shared/**/*.test.ts',
            'broker/**/*.test.ts',
            'ui/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
          exclude: ['**/*.libvirt.test.ts'],
        },
      },
      {
        test: {
          name: 'libvirt',
          include: ['**/*.libvirt.test.ts'],
          exclude: ['node_modules/**', 'dist/**'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          exclude: GUEST_TESTS,
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // A booted guest OS comes before every other real-libvirtd test (groupOrder 1 runs ahead of the
        // default sequential group), so nothing an earlier test left on the host can slow or stop its boot.
        test: {
          name: 'guest',
          include: GUEST_TESTS,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
