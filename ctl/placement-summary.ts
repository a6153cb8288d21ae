/**
 * Placement failure summaries for humans, Nomad AllocMetric-style: nodes evaluated, then per pass a
 * count per reason with a few example nodes, instead of one line per node per pass. The per-node
 * lines come only on request (--nodes). Kept in one file so the fleet-scale summary shape (issue 11)
 * can replace what it reads here without touching the commands.
 */

/** PassLike is the part of a pass report the summary reads. */
export interface PassLike {
  pass?: unknown;
  ran?: unknown;
  candidates?: unknown;
  rejected?: unknown;
}

interface Rejected {
  node_id: string;
  reason: string;
  detail: string;
}

/** EXAMPLES is how many node names a reason line shows. */
const EXAMPLES = 3;

/** summarisePasses renders pass reports in a few lines; `nodes` adds every node's line. */
export function summarisePasses(passes: readonly PassLike[], o: { nodes?: boolean } = {}): string[] {
  const evaluated = new Set<string>();
  const lines: string[] = [];
  for (const p of passes) {
    const rejected = (Array.isArray(p.rejected) ? p.rejected : []) as Rejected[];
    for (const r of rejected) evaluated.add(r.node_id);
    for (const c of (Array.isArray(p.candidates) ? p.candidates : []) as string[]) evaluated.add(c);
  }
  lines.push(`  nodes evaluated: ${evaluated.size}`);
  for (const p of passes) {
    if (p.ran === false) {
      lines.push(`  pass ${p.pass}: not run`);
      continue;
    }
    const rejected = (Array.isArray(p.rejected) ? p.rejected : []) as Rejected[];
    const byReason = new Map<string, Rejected[]>();
    for (const r of rejected) byReason.set(r.reason, [...(byReason.get(r.reason) ?? []), r]);
    const counts = [...byReason.entries()].sort((a, b) => b[1].length - a[1].length);
    const counted = (p as { reasons?: unknown }).reasons;
    if (rejected.length === 0 && counted && typeof counted === 'object') {
      // big fleets send counts per reason instead of one row per node
      const entries = Object.entries(counted as Record<string, number>).sort((a, b) => b[1] - a[1]);
      const total = entries.reduce((n, [, c]) => n + c, 0);
      lines.push(`  pass ${p.pass}: ${total} rejected`);
      for (const [reason, n] of entries) lines.push(`    ${reason}: ${n}`);
      continue;
    }
    lines.push(`  pass ${p.pass}: ${rejected.length} rejected`);
    for (const [reason, rs] of counts) {
      const names = rs.slice(0, EXAMPLES).map((r) => r.node_id);
      const more = rs.length > EXAMPLES ? `, +${rs.length - EXAMPLES} more` : '';
      lines.push(`    ${reason}: ${rs.length} (${names.join(', ')}${more}) — ${rs[0]!.detail}`);
    }
    if (o.nodes) for (const r of rejected) lines.push(`      ${r.node_id}: ${r.reason}: ${r.detail}`);
  }
  if (!o.nodes && evaluated.size > 0) lines.push('  (--nodes lists every node)');
  return lines;
}
