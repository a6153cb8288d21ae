import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateLicenseKeys, issueLicense } from '../../broker/license/license.js';
import { startTestUpstream, type TestUpstream } from './openai-upstream.js';
import { freePort, type Proc, ROOT, requireBuild, startProc, waitFor } from './procs.js';
import { createHash } from 'node:crypto';

/** BROKER_BIN is the compiled vmpool-broker. */
export const BROKER_BIN = join(ROOT, 'dist/broker/main.js');
/** BROKER_ADMIN is the admin token every e2e broker uses. */
export const BROKER_ADMIN = 'e2e-broker-admin-0123456789';
/** TENANT_KEYS are per-tenant API keys the e2e brokers accept (tenants tA and tB). */
export const TENANT_KEYS = {
  tA: 'sk-tenant-a-0123456789abcdef',
  tB: 'sk-tenant-b-0123456789abcdef',
} as const;

/** LicenseKit is a key pair and the paths a broker reads its license from. */
export interface LicenseKit {
  dir: string;
  publicPath: string;
  licensePath: string;
  privatePem: string;
  /** write issues a license valid from now-1min until expiresAt into licensePath */
  write(expiresAt: Date, id?: string): Promise<void>;
}

/** makeLicenseKit creates a key pair and a license valid for an hour. */
export async function makeLicenseKit(): Promise<LicenseKit> {
  const dir = await mkdtemp(join(tmpdir(), 'vmpool-broker-'));
  const { publicPem, privatePem } = generateLicenseKeys();
  const publicPath = join(dir, 'license-public.pem');
  await writeFile(publicPath, publicPem);
  const kit: LicenseKit = {
    dir,
    publicPath,
    licensePath: join(dir, 'broker.license'),
    privatePem,
    write: async (expiresAt, id = 'lic-e2e') => {
      const issued_at = new Date(Date.now() - 60_000).toISOString();
      const text = issueLicense(
        { id, licensee: 'e2e', issued_at, expires_at: expiresAt.toISOString() },
        privatePem,
      );
      await writeFile(`${kit.licensePath}.tmp`, text);
      const { rename } = await import('node:fs/promises');
      await rename(`${kit.licensePath}.tmp`, kit.licensePath);
    },
  };
  await kit.write(new Date(Date.now() + 3_600_000));
  await writeFile(
    join(dir, 'api-keys.json'),
    JSON.stringify({
      keys: Object.entries(TENANT_KEYS).map(([tenant, key]) => ({
        tenant,
        sha256: createHash('sha256').update(key).digest('hex'),
      })),
    }),
  );
  return kit;
}

/** Broker is a running vmpool-broker process. */
export interface Broker extends Proc {
  url: string;
  dataDir: string;
  /** call sends a JSON request with a bearer (default: tenant tA's key) and returns the raw Response */
  call(
    path: string,
    opts?: { method?: string; key?: string; body?: unknown; signal?: AbortSignal },
  ): Promise<Response>;
}

/** startBroker runs dist/broker/main.js on a free port with the kit's license and API keys. */
export async function startBroker(
  kit: LicenseKit,
  upstreams: { name: string; url: string }[],
  opts: { args?: string[]; env?: Record<string, string>; dataDir?: string } = {},
): Promise<Broker> {
  const port = await freePort();
  const dataDir = opts.dataDir ?? join(kit.dir, 'data');
  const proc = startProc(
    BROKER_BIN,
    [
      '--listen',
      `127.0.0.1:${port}`,
      '--data-dir',
      dataDir,
      '--upstreams',
      upstreams.map((u) => `${u.name}=${u.url}`).join(','),
      '--license',
      kit.licensePath,
      '--license-public-key',
      kit.publicPath,
      '--api-keys',
      join(kit.dir, 'api-keys.json'),
      '--health-interval-ms',
      '500',
      ...(opts.args ?? []),
    ],
    { VMPOOL_BROKER_ADMIN_TOKEN: BROKER_ADMIN, ...opts.env },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/healthz`)).ok, { what: `broker on ${port}\n${proc.out()}` });
  const call: Broker['call'] = (path, o = {}) =>
    fetch(url + path, {
      method: o.method ?? (o.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${o.key ?? TENANT_KEYS.tA}`, 'content-type': 'application/json' },
      ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  return { ...proc, url, dataDir, call };
}

/** chat is a chat-completions body for the test model. */
export function chat(words: number, maxTokens: number, stream = false): Record<string, unknown> {
  const content = Array.from({ length: words }, (_, i) => `w${i}`).join(' ');
  return { model: 'test-slm', messages: [{ role: 'user', content }], max_tokens: maxTokens, stream };
}

/** readStream reads an SSE answer to its end: the data lines and whether [DONE] arrived. */
export async function readStream(
  res: Response,
): Promise<{ events: string[]; done: boolean; error: unknown }> {
  const events: string[] = [];
  let text = '';
  let error: unknown = null;
  try {
    text = await res.text();
  } catch (err) {
    error = err;
  }
  for (const block of text.split('\n\n')) if (block.startsWith('data: ')) events.push(block.slice(6));
  return { events, done: events.includes('[DONE]'), error };
}

/** BrokerRig is a built broker in front of test upstreams, with its license kit. */
export interface BrokerRig {
  kit: LicenseKit;
  upstreams: TestUpstream[];
  broker: Broker;
  /** status is GET /v1/broker/status as the broker admin */
  // biome-ignore lint/suspicious/noExplicitAny: the status is inspected field by field
  status: () => Promise<any>;
  /** stop kills the broker, closes the upstreams and removes the kit */
  stop: () => Promise<void>;
}

/**
 * startBrokerRig is the setup broker-gate and broker-license share: a license kit, one OpenAI-style
 * test upstream per name (no model runs) and the built broker with `args` (or args made from the kit).
 */
export async function startBrokerRig(
  names: string[],
  args: string[] | ((kit: LicenseKit) => string[]),
): Promise<BrokerRig> {
  requireBuild();
  const kit = await makeLicenseKit();
  const upstreams: TestUpstream[] = [];
  for (const n of names) upstreams.push(await startTestUpstream(n));
  const broker = await startBroker(kit, upstreams, { args: typeof args === 'function' ? args(kit) : args });
  const status = async () => (await broker.call('/v1/broker/status', { key: BROKER_ADMIN })).json();
  const stop = async () => {
    await broker.kill();
    for (const u of upstreams) await u.close();
    await rm(kit.dir, { recursive: true, force: true });
  };
  return { kit, upstreams, broker, status, stop };
}
