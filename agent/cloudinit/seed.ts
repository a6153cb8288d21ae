import { stringify } from 'yaml';
import type { UserConfig } from '../../shared/spec.js';
import { CloudInitError } from './errors.js';

/** SeedFiles are the three NoCloud files, named as cloud-init looks for them on the cidata volume. */
export interface SeedFiles {
  readonly 'meta-data': string;
  readonly 'user-data': string;
  readonly 'network-config': string;
}

/** SeedNetwork configures the first NIC: DHCP unless addresses are given. */
export interface SeedNetwork {
  /** macAddress pins the config to one NIC; without it any e* NIC (ens3, enp1s0, eth0) matches */
  readonly macAddress?: string;
  /** addresses in CIDR form ("10.0.0.5/24"); empty or absent means DHCPv4 */
  readonly addresses?: readonly string[];
  readonly gateway4?: string;
  readonly nameservers?: readonly string[];
}

/** SeedInput is what the guest is told: identity, users and keys, network. */
export interface SeedInput {
  readonly instanceId: string;
  readonly hostname: string;
  readonly users: readonly UserConfig[];
  readonly network?: SeedNetwork;
  /** keepDefaultUser keeps the image's own default user (e.g. debian) alongside ours */
  readonly keepDefaultUser?: boolean;
  /** sudo rule given to every user; null gives none */
  readonly sudo?: string | null;
}

const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const INSTANCE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const DEFAULT_SUDO = 'ALL=(ALL) NOPASSWD:ALL';
// cloud-init reads these files with PyYAML, a YAML 1.1 parser: rendering for 1.1 quotes every
// string 1.1 would resolve to something else. Under 1.2 rules a MAC of digits only, such as
// 52:54:00:30:38:24, is left bare, and PyYAML reads it as the base-60 integer 41135150304; the
// NIC then never matches and cloud-init fails with "Not all expected physical devices present".
// The same goes for yes/no/on/off. lineWidth 0: never fold long scalars such as ssh keys.
const YAML_OPTIONS = { lineWidth: 0, version: '1.1' } as const;

/** buildSeedFiles renders meta-data, user-data and network-config from data, never by pasting strings. */
export function buildSeedFiles(input: SeedInput): SeedFiles {
  checkIdentity(input);
  return {
    'meta-data': stringify(
      { 'instance-id': input.instanceId, 'local-hostname': input.hostname },
      YAML_OPTIONS,
    ),
    'user-data': `#cloud-config\n${stringify(userData(input), YAML_OPTIONS)}`,
    'network-config': stringify(networkConfig(input.network ?? {}), YAML_OPTIONS),
  };
}

function checkIdentity(input: SeedInput): void {
  if (!HOSTNAME_RE.test(input.hostname)) {
    throw new CloudInitError(
      'invalid_seed_input',
      `Cannot build seed: hostname ${JSON.stringify(input.hostname)} is invalid`,
    );
  }
  if (!INSTANCE_ID_RE.test(input.instanceId)) {
    throw new CloudInitError(
      'invalid_seed_input',
      `Cannot build seed: instance id ${JSON.stringify(input.instanceId)} is invalid`,
    );
  }
}

function userData(input: SeedInput): Record<string, unknown> {
  const sudo = input.sudo === undefined ? DEFAULT_SUDO : input.sudo;
  const users = input.users.map((u) => ({
    name: u.username,
    ssh_authorized_keys: [...u.ssh_authorized_keys],
    ...(sudo !== null && { sudo }),
    shell: '/bin/bash',
    lock_passwd: true,
  }));
  return {
    hostname: input.hostname,
    manage_etc_hosts: true,
    users: input.keepDefaultUser ? ['default', ...users] : users,
    ssh_pwauth: false,
  };
}

function networkConfig(net: SeedNetwork): Record<string, unknown> {
  // matched by MAC, the NIC is named eth0: every renderer (ENI included, which cannot match a name
  // glob and would bring up an interface literally called "primary") then configures the real NIC
  const match = net.macAddress
    ? { match: { macaddress: net.macAddress.toLowerCase() }, 'set-name': 'eth0' }
    : { match: { name: 'e*' } };
  const addresses = net.addresses ?? [];
  const ethernet =
    addresses.length === 0
      ? { ...match, dhcp4: true }
      : {
          ...match,
          addresses: [...addresses],
          ...(net.gateway4 && { routes: [{ to: 'default', via: net.gateway4 }] }),
          ...(net.nameservers && { nameservers: { addresses: [...net.nameservers] } }),
        };
  return { version: 2, ethernets: { primary: ethernet } };
}
