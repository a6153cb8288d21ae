import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Etcd3, type IOptions } from 'etcd3';
import type { Registry } from 'prom-client';
import { ConfigError } from '../../shared/config.js';
import type { Logger } from '../../shared/log.js';
import { EtcdAuditLog } from '../audit/index.js';
import { EtcdStore } from '../store/etcd-store.js';
import { HaNode } from './node.js';

/** EtcdSettings are the coordinator settings the etcd backend reads. */
export interface EtcdSettings {
  'etcd-endpoints'?: string | undefined;
  'etcd-prefix': string;
  'etcd-ca'?: string | undefined;
  'etcd-cert'?: string | undefined;
  'etcd-key'?: string | undefined;
  'etcd-user'?: string | undefined;
  'etcd-password'?: string | undefined;
  'etcd-timeout-ms': number;
  'advertise-url'?: string | undefined;
  'coordinator-id'?: string | undefined;
  'leader-ttl': number;
}

/** EtcdBackend is the shared store, the shared audit chain and the election of one coordinator. */
export interface EtcdBackend {
  client: Etcd3;
  store: EtcdStore;
  audit: EtcdAuditLog;
  ha: HaNode;
  close(): Promise<void>;
}

/** clientOptions turns the settings into etcd3 options (hosts, TLS files, user and password). */
export function clientOptions(s: EtcdSettings): IOptions {
  const hosts = (s['etcd-endpoints'] ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  if (!hosts.length) throw new ConfigError('Cannot use --store etcd: --etcd-endpoints is required');
  for (const h of hosts) {
    if (!/^https?:\/\/[^/]+\/?$/.test(h))
      throw new ConfigError(`Cannot use --etcd-endpoints: "${h}" is not an http(s)://HOST:PORT URL`);
  }
  const read = (flag: string, path: string | undefined) => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch {
      throw new ConfigError(`Cannot read --${flag} file ${path}`);
    }
  };
  const ca = read('etcd-ca', s['etcd-ca']);
  const cert = read('etcd-cert', s['etcd-cert']);
  const key = read('etcd-key', s['etcd-key']);
  if (!!cert !== !!key) throw new ConfigError('Cannot use etcd TLS: give both --etcd-cert and --etcd-key');
  if ((cert || key) && !ca) throw new ConfigError('Cannot use etcd mutual TLS without --etcd-ca');
  return {
    hosts,
    ...(ca
      ? {
          credentials: {
            rootCertificate: ca,
            ...(key ? { privateKey: key } : {}),
            ...(cert ? { certChain: cert } : {}),
          },
        }
      : {}),
    ...(s['etcd-user'] ? { auth: { username: s['etcd-user'], password: s['etcd-password'] ?? '' } } : {}),
  };
}

/** openEtcdBackend connects to etcd and builds store, audit log and election (started by the caller). */
export function openEtcdBackend(
  s: EtcdSettings,
  listen: { host: string; port: number },
  log: Logger,
  registry?: Registry,
): EtcdBackend {
  const client = new Etcd3(clientOptions(s));
  const prefix = s['etcd-prefix'].replace(/\/+$/, '');
  const url = (s['advertise-url'] ?? `http://${listen.host}:${listen.port}`).replace(/\/+$/, '');
  const id = s['coordinator-id'] ?? `${hostname()}-${listen.port}`;
  const timeoutMs = s['etcd-timeout-ms'];
  const ha = new HaNode({
    client,
    prefix,
    id,
    url,
    ttlSec: Math.max(1, Math.round(s['leader-ttl'])),
    log,
    ...(registry ? { registry } : {}),
  });
  const fence = () => ha.fence();
  const store = new EtcdStore({ client, prefix, fence, timeoutMs, onUnknownOutcome: () => ha.resync() });
  const audit = new EtcdAuditLog({ client, prefix, fence, timeoutMs });
  return {
    client,
    store,
    audit,
    ha,
    async close() {
      await ha.stop();
      await store.close();
      client.close();
    },
  };
}
