import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { UserConfig } from '../../shared/spec.js';
import { buildSeedFiles } from './seed.js';

const LONG_KEY = `ssh-ed25519 ${'A'.repeat(300)} long@host`;
const USERS: UserConfig[] = [
  { username: 'admin', ssh_authorized_keys: ['ssh-rsa AAAAB3NzaC1yc2E... user@host', LONG_KEY] },
  // comments with quotes, colons, hashes and YAML indicators must come back verbatim
  {
    username: 'ops',
    ssh_authorized_keys: [`ssh-ed25519 AAAAC3Nz key: "quoted" 'single' # not a comment - [x] {y} &z *w !t |`],
  },
];

describe('buildSeedFiles', () => {
  const files = buildSeedFiles({ instanceId: 'vm-0001', hostname: 'web-1', users: USERS });

  it('writes instance-id and local-hostname in meta-data', () => {
    expect(parse(files['meta-data'])).toEqual({ 'instance-id': 'vm-0001', 'local-hostname': 'web-1' });
  });

  it('starts user-data with the #cloud-config line', () => {
    expect(files['user-data'].split('\n')[0]).toBe('#cloud-config');
  });

  it('round-trips users and keys exactly through YAML', () => {
    const data = parse(files['user-data']);
    expect(data.ssh_pwauth).toBe(false);
    expect(data.manage_etc_hosts).toBe(true);
    expect(data.users).toEqual(
      USERS.map((u) => ({
        name: u.username,
        ssh_authorized_keys: u.ssh_authorized_keys,
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        shell: '/bin/bash',
        lock_passwd: true,
      })),
    );
  });

  it('never folds a long key across lines', () => {
    expect(files['user-data'].split('\n').some((line) => line.includes(LONG_KEY))).toBe(true);
  });

  it.each([
    [{ keepDefaultUser: true, sudo: null }, 'default', undefined],
    [{ keepDefaultUser: false, sudo: 'ALL=(ALL) ALL' }, 'admin', 'ALL=(ALL) ALL'],
  ])('honours %j', (opts, first, sudo) => {
    const data = parse(
      buildSeedFiles({ instanceId: 'i', hostname: 'h', users: USERS, ...opts })['user-data'],
    );
    expect(data.users[0] === 'default' ? 'default' : data.users[0].name).toBe(first);
    expect(data.users.at(-1).sudo).toBe(sudo);
  });

  it.each([
    [{}, { match: { name: 'e*' }, dhcp4: true }],
    [
      { macAddress: '52:54:00:AB:CD:EF' },
      { match: { macaddress: '52:54:00:ab:cd:ef' }, 'set-name': 'eth0', dhcp4: true },
    ],
    [
      { addresses: ['10.0.0.5/24'], gateway4: '10.0.0.1', nameservers: ['1.1.1.1'] },
      {
        match: { name: 'e*' },
        addresses: ['10.0.0.5/24'],
        routes: [{ to: 'default', via: '10.0.0.1' }],
        nameservers: { addresses: ['1.1.1.1'] },
      },
    ],
  ])('renders network-config v2 for %j', (network, primary) => {
    const files = buildSeedFiles({ instanceId: 'i', hostname: 'h', users: [], network });
    expect(parse(files['network-config'])).toEqual({ version: 2, ethernets: { primary } });
  });

  it.each(['52:54:00:30:38:24', '52:54:00:00:00:00', '52:54:00:59:59:59'])(
    'quotes MAC %s so a YAML 1.1 reader (cloud-init) keeps it a string, not base 60',
    (mac) => {
      const text = buildSeedFiles({
        instanceId: 'i',
        hostname: 'h',
        users: [],
        network: { macAddress: mac },
      })['network-config'];
      const read = parse(text, { version: '1.1' });
      expect(read.ethernets.primary.match.macaddress).toBe(mac);
    },
  );

  it('keeps yes/on-like user data strings strings under YAML 1.1', () => {
    const text = buildSeedFiles({
      instanceId: 'i',
      hostname: 'h',
      users: [{ username: 'on', ssh_authorized_keys: ['yes'] }],
    })['user-data'];
    const read = parse(text, { version: '1.1' });
    expect(read.users[0].name).toBe('on');
    expect(read.users[0].ssh_authorized_keys).toEqual(['yes']);
  });

  it.each([
    { hostname: 'bad_name', instanceId: 'i' },
    { hostname: '-lead', instanceId: 'i' },
    { hostname: 'h\nx', instanceId: 'i' },
    { hostname: 'h', instanceId: 'bad id' },
    { hostname: 'h', instanceId: '' },
  ])('rejects hostname $hostname / instance id $instanceId', (bad) => {
    expect(() => buildSeedFiles({ ...bad, users: [] })).toThrow(
      expect.objectContaining({ code: 'invalid_seed_input' }),
    );
  });
});
