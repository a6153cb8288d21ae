/**
 * ctlAgainstApp runs vmpoolctl in-process against the real coordinator app (coordinator/http's
 * harness: real service, store in a temp dir, audit log; fake agents). Test-only: production ctl/
 * code imports only api/ and shared/.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FetchFn } from '../../api/index.js';
import { helloFor } from '../../coordinator/registry/testing.js';
import { LowdbStore } from '../../coordinator/store/index.js';
import { type AppHarness, appHarness, HARNESS_ADMIN_TOKEN } from '../../coordinator/http/testing/harness.js';
import { run } from '../run.js';

/** CTL_URL is the base URL the CLI is given; requests never leave the process. */
export const CTL_URL = 'http://coordinator.test:7700';

/** Seen is one request as vmpoolctl sent it. */
export interface Seen {
  method: string;
  url: string;
  auth: string | null;
  idempotencyKey: string | null;
  body: unknown;
}

/** ctlAgainstApp builds the app with node-a (images debian and base) and a tenant with room for seed 003. */
export async function ctlAgainstApp(o: { nodes?: string[] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'vmpoolctl-test-'));
  const h: AppHarness = await appHarness({
    store: new LowdbStore(join(dir, 'state.json')),
    bands: [{ name: 'ai-prod', title: 'AI production', from: 100, to: 199 }],
  });
  for (const id of o.nodes ?? ['node-a'])
    h.addNode(id, undefined, helloFor(id, { images: ['debian', 'base'] }));
  const tenant = await h.tenant('team-a', { vcpus: 128, memory_mb: 524_288, vms: 10 });
  const seen: Seen[] = [];
  const fetchFn: FetchFn = async (input, init) => {
    const u = new URL(input);
    const headers = new Headers(init?.headers);
    seen.push({
      method: init?.method ?? 'GET',
      url: `${u.origin}${u.pathname}${u.search}`,
      auth: headers.get('authorization'),
      idempotencyKey: headers.get('idempotency-key'),
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    return h.app.request(input, init);
  };
  const ctl = async (
    argv: string[],
    env: NodeJS.ProcessEnv = { VMPOOL_URL: CTL_URL, VMPOOL_TOKEN: tenant.token },
    extra: { tty?: boolean } = {},
  ) => {
    let stdout = '';
    let stderr = '';
    const code = await run(argv, {
      env,
      fetch: fetchFn,
      ...extra,
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
    });
    return { code, stdout, stderr };
  };
  const admin = (argv: string[]) => ctl(argv, { VMPOOL_URL: CTL_URL, VMPOOL_TOKEN: HARNESS_ADMIN_TOKEN });
  return { h, dir, tenant, seen, ctl, admin };
}

/** CtlHarness is what ctlAgainstApp resolves to. */
export type CtlHarness = Awaited<ReturnType<typeof ctlAgainstApp>>;
