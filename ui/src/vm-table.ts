import { type VmView, vmStateText } from '../../api/vms.js';
import { gib, h, link } from './dom.js';

/** vmTable lists VMs with a link to each VM's page; the tenant column shows for the admin only. */
export function vmTable(vms: readonly VmView[], admin: boolean): HTMLElement {
  if (vms.length === 0) return h('p', { 'data-testid': 'vms-empty' }, 'No VMs.');
  const cols = ['Name', ...(admin ? ['Tenant'] : []), 'State', 'Node', 'NUMA', 'vCPUs', 'Memory', 'VMID'];
  const rows = vms.map((v) =>
    h(
      'tr',
      { 'data-vm': v.name, 'data-vm-id': v.id },
      h('td', {}, link(`/vms/${v.id}`, v.name)),
      admin && h('td', {}, v.tenant),
      h('td', { 'data-col': 'state' }, h('span', { class: `pill state-${v.state}` }, vmStateText(v))),
      h('td', {}, v.node_id ? (admin ? link(`/nodes/${v.node_id}`, v.node_id) : v.node_id) : '—'),
      h('td', {}, v.numa_node ?? '—'),
      h('td', {}, v.vcpu_count ?? '—'),
      h('td', {}, v.memory_mb === null ? '—' : gib(v.memory_mb)),
      h('td', {}, v.vmid),
    ),
  );
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      { 'data-testid': 'vm-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          cols.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}
