// biome-ignore-all lint/suspicious/noExplicitAny: answers are inspected field by field
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BROKER_ADMIN,
  type Broker,
  chat,
  type LicenseKit,
  makeLicenseKit,
  readStream,
  startBroker,
  TENANT_KEYS,
} from './helpers/broker.js';
import { type SentUsage, startTestUpstream, type TestUpstream } from './helpers/openai-upstream.js';
import { BIN, requireBuild, runBin, waitFor } from './helpers/procs.js';

// Metering through the built broker against a real HTTP upstream: the totals it bills must equal
// the usage the upstream sent, per tenant, across a SIGKILL and restart of the broker.

let kit: LicenseKit;
let up: TestUpstream;
let broker: Broker;
const tenantOf = new Map<string, 'tA' | 'tB'>();
const t0 = new Date(Date.now() - 1000).toISOString();

const start = () =>
  startBroker(kit, [up], { args: ['--tenant-concurrency', '64', '--upstream-concurrency', '64'] });

/** load sends n requests per tenant (half streamed) and notes which tenant each request id was. */
async function load(n: number): Promise<void> {
  const calls = (['tA', 'tB'] as const).flatMap((t) =>
    Array.from({ length: n }, async (_, i) => {
      const stream = i % 2 === 0;
      const r = await broker.call('/v1/chat/completions', {
        key: TENANT_KEYS[t],
        body: chat(i + 1, (i % 4) + 1, stream),
      });
      expect(r.status).toBe(200);
      tenantOf.set(r.headers.get('x-request-id')!, t);
      if (stream) expect((await readStream(r)).done).toBe(true);
      else await r.json();
    }),
  );
  await Promise.all(calls);
}

function sentTotals(
  sent: SentUsage[],
): Record<string, { prompt: number; completion: number; requests: number }> {
  const out: Record<string, { prompt: number; completion: number; requests: number }> = {};
  for (const s of sent) {
    const t = tenantOf.get(s.requestId);
    if (!t) continue;
    out[t] ??= { prompt: 0, completion: 0, requests: 0 };
    out[t].prompt += s.prompt_tokens;
    out[t].completion += s.completion_tokens;
    out[t].requests++;
  }
  return out;
}

async function reconciliation(
  key = BROKER_ADMIN,
  tenant?: string,
  to = new Date(Date.now() + 60_000).toISOString(),
): Promise<Response> {
  const q = new URLSearchParams({ from: t0, to });
  if (tenant) q.set('tenant', tenant);
  return broker.call(`/v1/billing/reconciliation?${q}`, { key });
}

async function journal(): Promise<any[]> {
  const text = await readFile(join(broker.dataDir, 'metering.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

beforeAll(async () => {
  requireBuild();
  kit = await makeLicenseKit();
  up = await startTestUpstream('a');
  broker = await start();
});

afterAll(async () => {
  await broker?.kill();
  await up?.close();
  if (kit) await rm(kit.dir, { recursive: true, force: true });
});

describe('vmpool-broker metering and billing', () => {
  it('bills exactly the usage the upstream sent, per tenant, across a SIGKILL and restart', async () => {
    await load(12);
    await broker.kill('SIGKILL');
    broker = await start();
    await load(8);
    const expected = sentTotals(up.sent);
    const r = await (await reconciliation()).json();
    expect(r.tenants.map((t: any) => t.tenant)).toEqual(['tA', 'tB']);
    for (const t of r.tenants) {
      expect(t.prompt_tokens).toBe(expected[t.tenant]!.prompt);
      expect(t.completion_tokens).toBe(expected[t.tenant]!.completion);
      expect(t.requests).toBe(expected[t.tenant]!.requests);
      expect(t.requests).toBe(20);
      expect(t.usage_unknown).toBe(0);
      expect(t.models['test-slm'].total_tokens).toBe(t.total_tokens);
    }
    // two runs over the same closed period agree, checksum included
    const again = await (await reconciliation()).json();
    expect(again.checksum).toBe(r.checksum);
    expect(again.records).toBe(r.records);
  });

  it('keeps every answered request’s record when killed mid-load', async () => {
    up.set({ chunkDelayMs: 50 });
    const answered: string[] = [];
    const calls = Array.from({ length: 16 }, async (_, i) => {
      const r = await broker
        .call('/v1/chat/completions', { body: chat(2, 20, i % 2 === 0) })
        .catch(() => null);
      if (r?.status !== 200) return;
      const id = r.headers.get('x-request-id')!;
      const ok =
        i % 2 === 0
          ? (await readStream(r)).done
          : await r.json().then(
              () => true,
              () => false,
            );
      if (ok) answered.push(id);
    });
    // killed once the plain calls were answered, while the 1 s streams are still going
    await waitFor(() => answered.length >= 4, { what: 'plain calls answered' });
    await broker.kill('SIGKILL');
    await Promise.all(calls);
    up.set({ chunkDelayMs: 0 });
    broker = await start();
    expect(answered.length).toBeGreaterThan(0);
    const ids = new Set((await journal()).map((rec) => rec.request_id));
    for (const id of answered) expect(ids.has(id), id).toBe(true);
  });

  it('records a stream cut before usage as usage_unknown with what was streamed, never as zero', async () => {
    up.set({ cutAfter: 2 });
    const r = await broker.call('/v1/chat/completions', { key: TENANT_KEYS.tB, body: chat(3, 6, true) });
    const id = r.headers.get('x-request-id');
    const s = await readStream(r);
    up.set({ cutAfter: null });
    expect(s.done).toBe(false);
    const rec = (await journal()).find((x) => x.request_id === id);
    expect(rec).toMatchObject({
      tenant: 'tB',
      status: 'usage_unknown',
      prompt_tokens: null,
      completion_tokens: null,
      total_tokens: null,
      streamed_chunks: 2,
    });
    const tb = (await (await reconciliation(BROKER_ADMIN, 'tB')).json()).tenants[0];
    expect(tb.usage_unknown).toBe(1);
  });

  it('reconciliation equals the records, and tenant A cannot read B’s usage', async () => {
    const records = await journal();
    const r = await (await reconciliation()).json();
    expect(r.records).toBe(records.length);
    for (const t of r.tenants) {
      const mine = records.filter((x) => x.tenant === t.tenant);
      expect(t.requests).toBe(mine.length);
      expect(t.total_tokens).toBe(mine.reduce((s, x) => s + (x.total_tokens ?? 0), 0));
    }
    const denied = await reconciliation(TENANT_KEYS.tA, 'tB');
    expect(denied.status).toBe(403);
    expect((await denied.json()).error.code).toBe('permission_denied');
    const own = await (await reconciliation(TENANT_KEYS.tA)).json();
    expect(own.tenants.map((t: any) => t.tenant)).toEqual(['tA']);
    const q = new URLSearchParams({ from: t0, to: new Date(Date.now() + 60_000).toISOString() });
    const usage = await (await broker.call(`/v1/usage?${q}`, { key: TENANT_KEYS.tB })).json();
    expect(usage.tenants.map((t: any) => t.tenant)).toEqual(['tB']);
    const status = await broker.call('/v1/broker/status', { key: TENANT_KEYS.tA });
    expect(status.status).toBe(403);
  });

  it('vmpoolctl usage and billing read the same figures; a tenant asking for another is refused', async () => {
    const from = t0;
    const to = new Date(Date.now() + 60_000).toISOString();
    const period = ['--broker', broker.url, '--from', from, '--to', to];
    const admin = await reconciliation(BROKER_ADMIN, undefined, to); // the same period to the millisecond
    const ctl = await runBin(BIN.ctl, ['billing', '--json', ...period], { VMPOOL_TOKEN: BROKER_ADMIN });
    expect(ctl.code, ctl.stderr).toBe(0);
    expect(JSON.parse(ctl.stdout)).toEqual(await admin.json());
    const own = await runBin(BIN.ctl, ['usage', ...period], { VMPOOL_TOKEN: TENANT_KEYS.tA });
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toMatch(/^tA\s+test-slm\s/m);
    expect(own.stdout).not.toMatch(/^tB/m);
    const other = await runBin(BIN.ctl, ['billing', '--tenant', 'tB', ...period], {
      VMPOOL_TOKEN: TENANT_KEYS.tA,
    });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('permission_denied');
  });

  it('a caller that hangs up mid-stream frees its slot and is metered usage_unknown', async () => {
    up.set({ chunkDelayMs: 50 });
    const abort = new AbortController();
    const r = await broker.call('/v1/chat/completions', {
      key: TENANT_KEYS.tB,
      body: chat(2, 40, true),
      signal: abort.signal,
    });
    const id = r.headers.get('x-request-id');
    const reader = r.body!.getReader();
    await reader.read();
    abort.abort();
    await waitFor(async () => (await journal()).some((x) => x.request_id === id), {
      what: 'record of the hung-up stream',
    });
    up.set({ chunkDelayMs: 0 });
    expect((await journal()).find((x) => x.request_id === id)).toMatchObject({
      status: 'usage_unknown',
      total_tokens: null,
    });
    const st = await (await broker.call('/v1/broker/status', { key: BROKER_ADMIN })).json();
    expect(st.gate.in_flight).toBe(0);
    await waitFor(() => up.stats.active === 0, { what: 'upstream call closed' });
  });
});
