import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** TuningCheck is one host setting seed 003 recommends; ok is null when the setting does not apply here. */
export interface TuningCheck {
  name: 'cpu_governor' | 'numa_balancing' | 'thp_enabled' | 'thp_defrag';
  /** value is what the host has (governors joined by "," when CPUs differ); null when not applicable */
  value: string | null;
  recommended: string;
  ok: boolean | null;
  /** note explains a miss or why the check does not apply, naming the recommended value */
  note: string;
}

/** TuningReport is every check, read at one time. */
export interface TuningReport {
  checks: TuningCheck[];
}

const RECOMMENDED = {
  cpu_governor: 'performance',
  numa_balancing: '0',
  thp_enabled: 'always',
  thp_defrag: 'always',
} as const;

const FIX: Record<TuningCheck['name'], string> = {
  cpu_governor: 'echo performance > /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor',
  numa_balancing: 'sysctl -w kernel.numa_balancing=0 (pinned VMs: the kernel must not move their memory)',
  thp_enabled: 'echo always > /sys/kernel/mm/transparent_hugepage/enabled',
  thp_defrag: 'echo always > /sys/kernel/mm/transparent_hugepage/defrag',
};

/** readTuning reads the seed-003 host tuning under root ("/" on a host, a fixture folder in tests). */
export async function readTuning(root: string): Promise<TuningReport> {
  const thp = join(root, 'sys/kernel/mm/transparent_hugepage');
  return {
    checks: [
      check('cpu_governor', await readGovernors(root)),
      check('numa_balancing', await readText(join(root, 'proc/sys/kernel/numa_balancing'))),
      check('thp_enabled', selected(await readText(join(thp, 'enabled')))),
      check('thp_defrag', selected(await readText(join(thp, 'defrag')))),
    ],
  };
}

function check(name: TuningCheck['name'], value: string | null): TuningCheck {
  const recommended = RECOMMENDED[name];
  if (value === null)
    return { name, value, recommended, ok: null, note: 'not applicable: the kernel does not expose it here' };
  const ok = value === recommended;
  const note = ok ? 'as recommended' : `is ${value}, recommended ${recommended}: ${FIX[name]}`;
  return { name, value, recommended, ok, note };
}

async function readText(path: string): Promise<string | null> {
  return (await readFile(path, 'utf8').catch(() => null))?.trim() ?? null;
}

/** selected picks the bracketed choice of a sysfs list such as "always [madvise] never". */
function selected(text: string | null): string | null {
  if (text === null) return null;
  return /\[([^\]]+)\]/.exec(text)?.[1] ?? text;
}

async function readGovernors(root: string): Promise<string | null> {
  const cpuDir = join(root, 'sys/devices/system/cpu');
  const cpus = (await readdir(cpuDir).catch(() => [] as string[])).filter((d) => /^cpu\d+$/.test(d));
  const found = new Set<string>();
  for (const cpu of cpus) {
    const g = await readText(join(cpuDir, cpu, 'cpufreq/scaling_governor'));
    if (g !== null) found.add(g);
  }
  // no cpufreq at all (VMs, some servers with firmware-managed P-states): not applicable
  return found.size === 0 ? null : [...found].sort().join(',');
}

/** tuningWarnings are the checks that differ from the recommendation, for the log and inspect. */
export function tuningWarnings(report: TuningReport): TuningCheck[] {
  return report.checks.filter((c) => c.ok === false);
}

/** renderTuning is the table `vmpool-agent inspect` prints under the topology. */
export function renderTuning(report: TuningReport): string {
  const rows = report.checks.map((c) => {
    const state = c.ok === null ? 'n/a ' : c.ok ? 'ok  ' : 'WARN';
    return `  ${state} ${c.name.padEnd(15)} ${(c.value ?? '-').padEnd(22)} ${c.ok ? '' : c.note}`.trimEnd();
  });
  return `Host tuning (seed 003):\n${rows.join('\n')}\n`;
}
