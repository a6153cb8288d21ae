/**
 * ctlAgainstApp runs vmpoolctl in-process against the real coordinator app (coordinator/http's
 * harness: real service, store in a temp dir, audit log; fake agents). Test-only: production ctl/
 * code imports only api/ and shared/.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, expect } from 'vitest';
import type { FetchFn } from '../../api/index.js';
import { liveView } from '../../shared/testing/live-view.js';
import { helloFor } from '../../coordinator/registry/testing.js';
import { LowdbStore } from '../../coordinator/store/index.js';
import { type AppHarness, appHarness, HARNESS_ADMIN_TOKEN } from '../../coordinator/http/testing/harness.js';
import { type RunIo, run } from '../run.js';
import { SEED_003_VM1 } from './seed-003.js';

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
  ) => runCaptured(argv, { env, fetch: fetchFn, ...extra });
  const admin = (argv: string[]) => ctl(argv, { VMPOOL_URL: CTL_URL, VMPOOL_TOKEN: HARNESS_ADMIN_TOKEN });
  return { h, dir, tenant, seen, ctl, admin };
}

/** CtlHarness is what ctlAgainstApp resolves to. */
export type CtlHarness = Awaited<ReturnType<typeof ctlAgainstApp>>;

/** Captured is one vmpoolctl run: its exit code and what it printed. */
export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** runCaptured runs vmpoolctl in-process with `io` (no output streams) and returns what it printed. */
export async function runCaptured(argv: string[], io: Omit<RunIo, 'stdout' | 'stderr'>): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    ...io,
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

/**
 * useCtlHarness registers a beforeEach that builds a fresh ctlAgainstApp(o) and returns the running
 * test's harness (read it inside a test or a later hook).
 */
export function useCtlHarness(o: { nodes?: string[] } = {}): CtlHarness {
  let current: CtlHarness | null = null;
  beforeEach(async () => {
    current = await ctlAgainstApp(o);
  });
  const now = (): CtlHarness => {
    if (!current) throw new Error('useCtlHarness: the harness exists only while a test runs');
    return current;
  };
  return liveView(now);
}

/** spawnVm1 spawns seed-003 VM1 from its spec file through vmpoolctl and returns its id. */
export async function spawnVm1(x: CtlHarness): Promise<string> {
  const spec = join(x.dir, 'vm1.json');
  writeFileSync(spec, JSON.stringify(SEED_003_VM1));
  const r = await x.ctl(['--json', 'spawn', '--spec', spec]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout).id as string;
}
