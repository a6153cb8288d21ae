import { defineConfig } from 'vitest/config';

// Three tiers: pure units beside the code, libvirt tests (test driver + real qemu:///system), and
// end-to-end tests that start real processes. Real-libvirt tiers run one file at a time.
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
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
