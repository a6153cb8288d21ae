import type { BandRow, NodeRow } from '../../api/fleet.js';
import { ago, bar, gib, h, link, replace } from './dom.js';
import { vmTable } from './vm-table.js';
import type { View, ViewContext } from './view.js';

type Col = {
  key: string;
  label: string;
  value: (n: NodeRow) => string | number;
  cell?: (n: NodeRow) => Node;
};

const COLS: Col[] = [
  { key: 'id', label: 'Node', value: (n) => n.id, cell: (n) => link(`/nodes/${n.id}`, n.id) },
  { key: 'state', label: 'State', value: (n) => n.state },
  { key: 'virt', label: 'Virt', value: (n) => (n.kvm ? 'KVM' : 'TCG') },
  { key: 'vms', label: 'VMs', value: (n) => n.vms.length },
  { key: 'vcpu', label: 'vCPU used/total', value: (n) => `${n.vcpu_used}/${n.vcpu_total}` },
  { key: 'ram', label: 'RAM used/total', value: (n) => `${gib(n.ram_used_mb)} / ${gib(n.ram_total_mb)}` },
  {
    key: 'numa',
    label: 'RAM per NUMA node',
    value: (n) =>
      n.numa
        .map((x) => `N${x.numa_node} ${gib(x.memory_mb - x.memory_free_mb)}/${gib(x.memory_mb)}`)
        .join(' · '),
  },
  {
    key: 'available',
    label: 'Available',
    value: (n) => `${n.vcpu_available} vCPU, ${gib(n.ram_available_mb)}`,
  },
  { key: 'over', label: 'Over-allocated', value: (n) => (n.over_allocated ? 'yes' : 'no') },
  { key: 'seen', label: 'Last seen', value: (n) => ago(n.last_seen) },
];

/** fleetView is the admin's overview: the seed-001 allocation table and VMID band usage as bars. */
export function fleetView(ctx: ViewContext): View {
  const el = h('section', { 'aria-labelledby': 'fleet-h' });
  let sort = { key: 'id', dir: 1 };
  let nodes: NodeRow[] = [];
  let bands: BandRow[] = [];
  const draw = () => {
    const sorted = [...nodes].sort((a, b) => compare(a, b, sort.key) * sort.dir);
    const onSort = (key: string) => {
      sort = { key, dir: sort.key === key ? -sort.dir : 1 };
      draw();
    };
    replace(
      el,
      h('h1', { id: 'fleet-h' }, 'Fleet'),
      h('h2', {}, 'Nodes'),
      nodeTable(
        sorted.filter((n) => !n.reserved),
        sort,
        onSort,
        'nodes',
      ),
      h('h2', {}, 'Reserved nodes (placement pass 2)'),
      nodeTable(
        sorted.filter((n) => n.reserved),
        sort,
        onSort,
        'reserved-nodes',
      ),
      h('h2', {}, 'VMID bands'),
      h('div', { class: 'bands', 'data-testid': 'bands' }, bands.map(bandBar)),
    );
  };
  const view: View = {
    title: 'Fleet',
    el,
    async refresh() {
      if (!ctx.session.admin) return tenantOverview(ctx, el);
      [nodes, bands] = await Promise.all([
        ctx.session.client.listNodes().then((r) => r.nodes),
        ctx.session.client.listBands().then((r) => r.bands),
      ]);
      draw();
    },
  };
  return view;
}

function compare(a: NodeRow, b: NodeRow, key: string): number {
  const sortKey: Record<string, (n: NodeRow) => number | string> = {
    vcpu: (n) => n.vcpu_used,
    ram: (n) => n.ram_used_mb,
    available: (n) => n.vcpu_available,
    seen: (n) => n.last_seen,
  };
  const f = sortKey[key] ?? COLS.find((c) => c.key === key)!.value;
  const x = f(a);
  const y = f(b);
  return typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
}

function nodeTable(
  rows: NodeRow[],
  sort: { key: string; dir: number },
  onSort: (key: string) => void,
  testid: string,
): HTMLElement {
  if (rows.length === 0) return h('p', { 'data-testid': `${testid}-empty` }, 'None.');
  const head = COLS.map((c) =>
    h(
      'th',
      {
        scope: 'col',
        'aria-sort': sort.key === c.key ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none',
      },
      h('button', { type: 'button', class: 'sort', onclick: () => onSort(c.key) }, c.label),
    ),
  );
  const body = rows.map((n) =>
    h(
      'tr',
      { 'data-node': n.id, class: `state-${n.state}` },
      COLS.map((c) => h('td', { 'data-col': c.key }, c.cell ? c.cell(n) : String(c.value(n)))),
    ),
  );
  return h(
    'div',
    { class: 'scroll' },
    h('table', { 'data-testid': testid }, h('thead', {}, h('tr', {}, head)), h('tbody', {}, body)),
  );
}

function bandBar(b: BandRow): HTMLElement {
  return bar(
    b.title ? `${b.name} (${b.title})` : b.name,
    b.used,
    b.total,
    `${b.used} of ${b.total} used (${b.from}-${b.to}), ${b.percent_used}%`,
  );
}

async function tenantOverview(ctx: ViewContext, el: HTMLElement): Promise<void> {
  const { vms } = await ctx.session.client.listVms();
  const vcpus = vms.reduce((s, v) => s + (v.vcpu_count ?? 0), 0);
  const mem = vms.reduce((s, v) => s + (v.memory_mb ?? 0), 0);
  replace(
    el,
    h('h1', { id: 'fleet-h' }, 'Your VMs'),
    h('p', { 'data-testid': 'tenant-summary' }, `${vms.length} VMs, ${vcpus} vCPUs, ${gib(mem)}`),
    vmTable(vms, false),
  );
}
