import { ApiError, ClientError } from '../api/index.js';
import { ConfigError } from '../shared/config.js';
import { errorMessage, VmpoolError } from '../shared/errors.js';

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
  if (err instanceof ClientError) return err.code === 'unreachable' ? EXIT.unreachable : EXIT.usage;
  return EXIT.api;
}

/** renderError is the stderr text: `vmpoolctl: <code>: <detail>` plus per-node or per-field lines. */
export function renderError(err: unknown): string {
  const code = err instanceof VmpoolError ? err.code : 'internal';
  const lines = [`vmpoolctl: ${code}: ${errorMessage(err)}`];
  if (err instanceof ApiError) lines.push(...problemDetails(err.problem));
  return `${lines.join('\n')}\n`;
}

function problemDetails(problem: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const pass of asArray(problem.passes)) {
    const p = pass as { pass?: unknown; ran?: unknown; rejected?: unknown; reasons?: unknown };
    if (p.ran === false) {
      lines.push(`  pass ${p.pass}: not run`);
      continue;
    }
    // big fleets send counts per reason instead of one line per node
    if (asArray(p.rejected).length === 0 && typeof p.reasons === 'object' && p.reasons !== null) {
      for (const [reason, n] of Object.entries(p.reasons))
        lines.push(`  pass ${p.pass}: ${n} nodes: ${reason}`);
    }
    for (const r of asArray(p.rejected)) {
      const { node_id, reason, detail } = r as Record<string, unknown>;
      lines.push(`  pass ${p.pass}: ${node_id}: ${reason}: ${detail}`);
    }
  }
  for (const issue of asArray(problem.issues)) {
    const { path, message } = issue as Record<string, unknown>;
    lines.push(`  ${path || '(root)'}: ${message}`);
  }
  return lines;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
