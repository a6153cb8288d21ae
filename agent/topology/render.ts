import { formatCpuList } from '../../shared/cpulist.js';
import type { HostTopology, NumaNode } from '../../shared/topology.js';
import { siblingGroups } from './lookup.js';

/** MAX_SIBLING_GROUPS keeps a 36-thread node's row on one terminal line; the rest is counted, not listed. */
const MAX_SIBLING_GROUPS = 8;

type Align = 'left' | 'right';

/** renderTopologyTable renders a HostTopology for humans (`vmpool-agent inspect`); `--json` prints it as is. */
export function renderTopologyTable(topo: HostTopology): string {
  const threads = topo.numa_nodes.reduce((sum, node) => sum + node.cpus.length, 0);
  const freeMb = topo.numa_nodes.reduce((sum, node) => sum + node.free_memory_mb, 0);
  const summary: [string, string][] = [
    ['host', topo.hostname],
    ['kvm', topo.kvm ? 'yes' : `no (${topo.kvm_reason ?? 'reason unknown'})`],
    ['cpu model', topo.cpu_model],
    ['cpus', `${shapeText(topo)} (${threads} online)`],
    ['memory', `${topo.memory_mb} MiB total, ${freeMb} MiB free`],
    ['offline cpus', topo.offline_cpus.length === 0 ? 'none' : formatCpuList(topo.offline_cpus)],
  ];
  const header = formatTable(summary, ['left', 'left']);
  const nodeHeader = ['NODE', 'MEMORY MiB', 'FREE MiB', 'THREADS', 'CPULIST', 'SIBLINGS'];
  const nodeRows = topo.numa_nodes.map(nodeRow);
  const nodes = formatTable([nodeHeader, ...nodeRows], ['right', 'right', 'right', 'right', 'left', 'left']);
  return `${header}\n\n${nodes}\n`;
}

function nodeRow(node: NumaNode): string[] {
  const ids = node.cpus.map((t) => t.id);
  return [
    String(node.id),
    String(node.memory_mb),
    String(node.free_memory_mb),
    String(ids.length),
    ids.length === 0 ? '-' : formatCpuList(ids),
    summariseSiblings(node),
  ];
}

/** summariseSiblings shows cores as "0/36 1/37 …", so an operator can check pairing at a glance. */
export function summariseSiblings(node: NumaNode, max = MAX_SIBLING_GROUPS): string {
  const groups = siblingGroups(node.cpus);
  if (groups.length === 0) return '-';
  const shown = groups.slice(0, max).map((group) => group.join('/'));
  const hidden = groups.length - shown.length;
  return hidden > 0 ? `${shown.join(' ')} … (+${hidden} more)` : shown.join(' ');
}

function shapeText(topo: HostTopology): string {
  const { sockets, cores_per_socket: cores, threads_per_core: threads } = topo;
  return `${plural(sockets, 'socket')} × ${plural(cores, 'core')} × ${plural(threads, 'thread')}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** formatTable pads columns to their widest cell; the last column is never padded (no trailing spaces). */
function formatTable(rows: readonly (readonly string[])[], align: readonly Align[]): string {
  const widths = align.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, col) => {
          if (col === row.length - 1) return cell;
          const width = widths[col] ?? cell.length;
          return align[col] === 'right' ? cell.padStart(width) : cell.padEnd(width);
        })
        .join('  '),
    )
    .join('\n');
}
