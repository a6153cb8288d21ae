import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTuning, renderTuning, tuningWarnings } from './index.js';

/** fixtureRoot writes a fake / with the given files (path → content) and returns it. */
async function fixtureRoot(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'vmpool-tuning-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), `${text}\n`);
  }
  return root;
}

const THP = 'sys/kernel/mm/transparent_hugepage';
const tuned = {
  'sys/devices/system/cpu/cpu0/cpufreq/scaling_governor': 'performance',
  'sys/devices/system/cpu/cpu1/cpufreq/scaling_governor': 'performance',
  'proc/sys/kernel/numa_balancing': '0',
  [`${THP}/enabled`]: '[always] madvise never',
  [`${THP}/defrag`]: '[always] defer defer+madvise madvise never',
};

describe('host tuning checks (seed 003)', () => {
  it('a host tuned as the seed says passes every check', async () => {
    const report = await readTuning(await fixtureRoot(tuned));
    expect(report.checks.map((c) => [c.name, c.value, c.ok])).toEqual([
      ['cpu_governor', 'performance', true],
      ['numa_balancing', '0', true],
      ['thp_enabled', 'always', true],
      ['thp_defrag', 'always', true],
    ]);
    expect(tuningWarnings(report)).toEqual([]);
  });

  it('names the recommended value and the fix for every miss', async () => {
    const root = await fixtureRoot({
      ...tuned,
      'sys/devices/system/cpu/cpu1/cpufreq/scaling_governor': 'powersave',
      'proc/sys/kernel/numa_balancing': '1',
      [`${THP}/enabled`]: 'always [madvise] never',
    });
    const warnings = tuningWarnings(await readTuning(root));
    expect(warnings.map((w) => [w.name, w.value, w.recommended])).toEqual([
      ['cpu_governor', 'performance,powersave', 'performance'],
      ['numa_balancing', '1', '0'],
      ['thp_enabled', 'madvise', 'always'],
    ]);
    expect(warnings[1]!.note).toBe(
      'is 1, recommended 0: sysctl -w kernel.numa_balancing=0 (pinned VMs: the kernel must not move their memory)',
    );
  });

  it('a host without cpufreq (a VM, firmware P-states) is not applicable, not a failure', async () => {
    const { 'sys/devices/system/cpu/cpu0/cpufreq/scaling_governor': _a, ...rest } = tuned;
    const { 'sys/devices/system/cpu/cpu1/cpufreq/scaling_governor': _b, ...noFreq } = rest;
    const root = await fixtureRoot({ ...noFreq, 'sys/devices/system/cpu/cpu0/online': '1' });
    const governor = (await readTuning(root)).checks[0]!;
    expect(governor).toMatchObject({ name: 'cpu_governor', value: null, ok: null });
    expect(governor.note).toMatch(/^not applicable/);
    expect(tuningWarnings(await readTuning(root))).toEqual([]);
  });

  it('inspect renders a WARN row naming the recommended value', async () => {
    const root = await fixtureRoot({ ...tuned, 'proc/sys/kernel/numa_balancing': '1' });
    const text = renderTuning(await readTuning(root));
    expect(text).toContain('ok   cpu_governor    performance');
    expect(text).toMatch(/WARN numa_balancing\s+1\s+is 1, recommended 0/);
  });
});
