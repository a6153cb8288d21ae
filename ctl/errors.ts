import { ApiError, ClientError } from '../api/index.js';
import { ConfigError } from '../shared/config.js';
import { errorMessage, VmpoolError } from '../shared/errors.js';
import { type PassLike, summarisePasses } from './placement-summary.js';

/** EXIT is vmpoolctl's exit-code contract: scripts branch on these. */
export const EXIT = { ok: 0, api: 1, usage: 2, unreachable: 3 } as const;

/** CtlError is bad usage of vmpoolctl (exit 2); an unreachable coordinator is the client's ClientError (exit 3). */
export class CtlError extends VmpoolError {
  constructor(code: 'usage', message: string, opts: { cause?: unknown } = {}) {
    super(code, message, opts);
    this.name = 'CtlError';
  }
}

/** exitCodeFor maps any thrown value to the exit code contract. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof ConfigError || err instanceof CtlError) return EXIT.usage;
  if (err instanceof ClientError)
    return err.code === 'unreachable' || err.code === 'timeout' ? EXIT.unreachable : EXIT.usage;
  return EXIT.api;
}

/** renderError is the stderr text: `vmpoolctl: <code>: <detail>` plus per-node or per-field lines. */
export function renderError(err: unknown): string {
  const code = err instanceof VmpoolError ? err.code : 'internal';
  const lines = [`vmpoolctl: ${code}: ${errorMessage(err)}`];
  if (err instanceof ApiError) lines.push(...problemDetails(err.problem));
  return `${lines.join('\n')}\n`;
}

/** FLAG_OF names the vmpoolctl flag behind an API field, so errors speak the user's words. */
const FLAG_OF: Record<string, string> = {
  name: '--name',
  vcpu_count: '--vcpus',
  memory_mb: '--memory-mb',
  disk_size_gb: '--disk-gb',
  image: '--image',
  vmid: '--vmid',
  vmid_band: '--band',
  tags: '--tag',
  'network.bridge': '--bridge',
  'placement.cpu_policy': '--cpu-policy',
  'placement.anti_affinity_group': '--anti-affinity',
  quota: '--vcpus/--memory-mb/--vms',
};

function problemDetails(problem: Record<string, unknown>): string[] {
  const lines: string[] = [];
  if (Array.isArray(problem.passes)) lines.push(...summarisePasses(problem.passes as PassLike[]));
  for (const issue of asArray(problem.issues)) {
    const { path, message } = issue as Record<string, unknown>;
    const key = String(path ?? '').replace(/\.\d+$/, '');
    const flag = FLAG_OF[key];
    lines.push(`  ${flag ? `${flag} (${path})` : path || '(root)'}: ${message}`);
  }
  for (const m of asArray(problem.matches)) {
    const { id, name, tenant, vmid } = m as Record<string, unknown>;
    lines.push(`  ${id}  ${name}  tenant ${tenant}  vmid ${vmid}`);
  }
  return lines;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
