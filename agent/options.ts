import { z } from 'zod';
import {
  aString,
  boolOption,
  choiceOption,
  numberOption,
  optionalSecret,
  textOption,
  wholeAtLeast,
} from '../shared/config-options.js';
import { parseCpuList } from '../shared/cpulist.js';

const cpuList = () =>
  aString().superRefine((v, ctx) => {
    try {
      parseCpuList(v);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a cpu list such as 16-17,52-53: ${(err as Error).message}`,
      });
    }
  });

const urls = () =>
  aString().refine(
    (v) => v.split(',').every((u) => URL.canParse(u.trim())),
    'expected a URL such as ws://10.8.0.1:7700 (or several, comma-separated)',
  );

/**
 * AgentConfigSchema is the agent's process interface: every setting with its --flag, VMPOOL_*
 * variable and --config key (the flag in camelCase); the join token only from the environment.
 */
export const AgentConfigSchema = z
  .object({
    coordinator: textOption(
      {
        env: 'VMPOOL_COORDINATOR',
        help: 'coordinator URL, e.g. ws://10.8.0.1:7700 (run only); repeat the flag or comma-separate to list HA coordinators',
        multiple: true,
      },
      undefined,
      urls(),
    ),
    'node-id': textOption({ env: 'VMPOOL_NODE_ID', help: 'stable node id (default: hostname)' }),
    reserved: boolOption({
      env: 'VMPOOL_RESERVED',
      help: 'mark this node reserved: placement uses it only when nothing else fits',
    }),
    'host-reserved-cpus': textOption(
      {
        env: 'VMPOOL_HOST_RESERVED_CPUS',
        help: 'host + emulator threads never given to VMs, e.g. 16-17,52-53,34-35,70-71',
      },
      '',
      cpuList(),
    ),
    'host-reserved-memory-mb': numberOption(
      { env: 'VMPOOL_HOST_RESERVED_MEMORY_MB', help: 'memory kept for the host on each NUMA node' },
      0,
      wholeAtLeast(0),
    ),
    'images-dir': textOption(
      {
        env: 'VMPOOL_IMAGES_DIR',
        help: 'where disks, seed ISOs and sidecars live; base images in <dir>/base',
      },
      '/var/lib/libvirt/images',
    ),
    'state-dir': textOption(
      {
        env: 'VMPOOL_STATE_DIR',
        help: 'where the agent keeps its node credential, 0700 (default: <images-dir>/.vmpool-agent)',
      },
      '',
    ),
    'libvirt-uri': textOption(
      { env: 'VMPOOL_LIBVIRT_URI', help: 'libvirt connection URI (test:///default for a fake host)' },
      'qemu:///system',
    ),
    'libvirt-backend': choiceOption(
      {
        env: 'VMPOOL_LIBVIRT_BACKEND',
        help: "how to reach libvirt: rpc (libvirtd's protocol over its unix socket, no libvirt.so in the agent), koffi (libvirt.so.0 in-process), auto (rpc for qemu:///system and <driver>+unix:// URIs, else koffi)",
      },
      ['auto', 'rpc', 'koffi'],
      'auto',
    ),
    'pin-source': choiceOption(
      {
        env: 'VMPOOL_PIN_SOURCE',
        help: "read pins back through libvirt's API (api) or the domain XML (xml: libvirt's test driver)",
      },
      ['api', 'xml'],
      'api',
    ),
    'sysfs-root': textOption(
      { env: 'VMPOOL_SYSFS_ROOT', help: 'root under which sys/ and proc/ are read (fixtures in tests)' },
      '/',
    ),
    'dev-kvm': textOption({ env: 'VMPOOL_DEV_KVM', help: 'KVM device to probe' }, '/dev/kvm'),
    'no-kvm': boolOption({ env: 'VMPOOL_NO_KVM', help: 'never use KVM: run guests under TCG emulation' }),
    'no-kvm-probe': boolOption({
      env: 'VMPOOL_NO_KVM_PROBE',
      help: 'trust /dev/kvm without booting the KVM probe guest (forces KVM where it opens)',
    }),
    'kvm-probe-timeout-ms': numberOption(
      {
        env: 'VMPOOL_KVM_PROBE_TIMEOUT_MS',
        help: 'how long the KVM probe guest may take to print its marker',
      },
      5000,
      wholeAtLeast(100),
    ),
    'user-network': boolOption({
      env: 'VMPOOL_USER_NETWORK',
      help: 'give VMs without a bridge a user-mode NIC',
    }),
    'restart-stopped': boolOption({
      env: 'VMPOOL_RESTART_STOPPED',
      help: 'at recovery, start VMs found stopped whose desired state is running',
    }),
    'shutdown-timeout-ms': numberOption(
      {
        env: 'VMPOOL_SHUTDOWN_TIMEOUT_MS',
        help: 'destroy: how long a guest may take to power off before it is forced off',
      },
      10_000,
      wholeAtLeast(0),
    ),
    'metrics-listen': textOption(
      {
        env: 'VMPOOL_METRICS_LISTEN',
        help: 'ADDR:PORT or IFACE:PORT for GET /metrics (run only; "off" serves none)',
      },
      '127.0.0.1:9707',
    ),
    spec: textOption({ help: 'seed-003 spawn spec JSON file (spawn only)' }),
    'keep-disk': boolOption({ help: 'destroy: keep the disk images' }),
    json: boolOption({ help: 'print JSON instead of a table' }),
    'join-token': optionalSecret({
      env: 'VMPOOL_JOIN_TOKEN',
      help: 'token to join the coordinator (run only)',
    }),
  })
  .strict();

/** AgentConfig is the agent's validated settings, keyed by flag name. */
export type AgentConfig = z.output<typeof AgentConfigSchema>;

/** AGENT_USAGE heads `vmpool-agent --help`. */
export const AGENT_USAGE = `Usage: vmpool-agent <command> [options]

Commands:
  run       recover local VMs, then connect to the coordinator and serve it (the systemd service)
  inspect   print the detected host: KVM, CPU model, sockets, NUMA nodes, threads and siblings
  spawn     create and start a VM from a seed-003 spec file (--spec FILE), without the coordinator
  list      list the VMs this host holds (from sidecars and libvirt)
  destroy   stop and remove a VM by name or id: vmpool-agent destroy NAME
  stop      shut a VM down (ACPI, forced after --shutdown-timeout-ms), keeping it: vmpool-agent stop NAME
  start     start a stopped VM: vmpool-agent start NAME
  reboot    stop then start a VM: vmpool-agent reboot NAME
  recover   reconcile sidecars with libvirt once and print what was done (service stopped)

The join token comes from VMPOOL_JOIN_TOKEN (or VMPOOL_JOIN_TOKEN_FILE).
--version prints the version. Exit codes: 0 ok, 1 failure, 2 bad settings or a refused join token.`;
