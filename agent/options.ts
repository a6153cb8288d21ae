import type { OptionSpec } from '../shared/config.js';

/** AGENT_OPTIONS is the agent's process interface; each flag can also come from --config or env. */
export const AGENT_OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'coordinator',
    env: 'VMPOOL_COORDINATOR',
    type: 'string',
    help: 'coordinator URL, e.g. ws://10.8.0.1:7700 (run only)',
  },
  { flag: 'node-id', env: 'VMPOOL_NODE_ID', type: 'string', help: 'stable node id (default: hostname)' },
  {
    flag: 'reserved',
    env: 'VMPOOL_RESERVED',
    type: 'boolean',
    default: false,
    help: 'mark this node reserved: placement uses it only when nothing else fits',
  },
  {
    flag: 'host-reserved-cpus',
    env: 'VMPOOL_HOST_RESERVED_CPUS',
    type: 'string',
    default: '',
    help: 'host + emulator threads never given to VMs, e.g. 16-17,52-53,34-35,70-71',
  },
  {
    flag: 'host-reserved-memory-mb',
    env: 'VMPOOL_HOST_RESERVED_MEMORY_MB',
    type: 'string',
    default: '0',
    help: 'memory kept for the host on each NUMA node',
  },
  {
    flag: 'images-dir',
    env: 'VMPOOL_IMAGES_DIR',
    type: 'string',
    default: '/var/lib/libvirt/images',
    help: 'where disks, seed ISOs and sidecars live; base images in <dir>/base',
  },
  {
    flag: 'libvirt-uri',
    env: 'VMPOOL_LIBVIRT_URI',
    type: 'string',
    default: 'qemu:///system',
    help: 'libvirt connection URI (test:///default for a fake host)',
  },
  {
    flag: 'pin-source',
    env: 'VMPOOL_PIN_SOURCE',
    type: 'string',
    default: 'api',
    help: "read pins back through libvirt's API (api) or the domain XML (xml: libvirt's test driver)",
  },
  {
    flag: 'sysfs-root',
    env: 'VMPOOL_SYSFS_ROOT',
    type: 'string',
    default: '/',
    help: 'root under which sys/ and proc/ are read (fixtures in tests)',
  },
  {
    flag: 'dev-kvm',
    env: 'VMPOOL_DEV_KVM',
    type: 'string',
    default: '/dev/kvm',
    help: 'KVM device to probe',
  },
  {
    flag: 'no-kvm',
    env: 'VMPOOL_NO_KVM',
    type: 'boolean',
    default: false,
    help: 'never use KVM: run guests under TCG emulation',
  },
  {
    flag: 'user-network',
    env: 'VMPOOL_USER_NETWORK',
    type: 'boolean',
    default: false,
    help: 'give VMs without a bridge a user-mode NIC',
  },
  {
    flag: 'restart-stopped',
    env: 'VMPOOL_RESTART_STOPPED',
    type: 'boolean',
    default: false,
    help: 'at recovery, start VMs found stopped whose desired state is running',
  },
  {
    flag: 'shutdown-timeout-ms',
    env: 'VMPOOL_SHUTDOWN_TIMEOUT_MS',
    type: 'string',
    default: '10000',
    help: 'destroy: how long a guest may take to power off before it is forced off',
  },
  { flag: 'spec', type: 'string', help: 'seed-003 spawn spec JSON file (spawn only)' },
  { flag: 'keep-disk', type: 'boolean', default: false, help: 'destroy: keep the disk images' },
  { flag: 'json', type: 'boolean', default: false, help: 'print JSON instead of a table' },
];

/** AGENT_USAGE heads `vmpool-agent --help`. */
export const AGENT_USAGE = `Usage: vmpool-agent <command> [options]

Commands:
  run       recover local VMs, then connect to the coordinator and serve it (the systemd service)
  inspect   print the detected host: KVM, CPU model, sockets, NUMA nodes, threads and siblings
  spawn     create and start a VM from a seed-003 spec file (--spec FILE), without the coordinator
  list      list the VMs this host holds (from sidecars and libvirt)
  destroy   stop and remove a VM by name or id: vmpool-agent destroy NAME
  recover   reconcile sidecars with libvirt once and print what was done (service stopped)

The join token comes from VMPOOL_JOIN_TOKEN (or VMPOOL_JOIN_TOKEN_FILE).`;
