import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../shared/log.js';
import { createCoordinator } from './assemble.js';
import { AuditLog } from './audit/index.js';
import { parseBandConfig } from './bands/index.js';
import { appHarness } from './http/testing/harness.js';
import { Cordons } from './nodes/cordons.js';
import { DEFAULT_PLACEMENT_CONFIG } from './placement/types.js';
import { helloFor } from './registry/testing.js';
import { MemoryStore } from './store/index.js';
import { WebhookBook } from './webhooks/book.js';

const quiet = createLogger({ component: 'coordinator', level: 'error', sink: () => undefined });
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** build is createCoordinator on a memory store, a temp audit log and the clock given. */
async function build(now: () => number) {
  const dir = await mkdtemp(join(tmpdir(), 'vmpool-assemble-'));
  dirs.push(dir);
  return createCoordinator({
    log: quiet,
    store: new MemoryStore(),
    audit: await AuditLog.open(join(dir, 'audit.log'), { key: randomBytes(32) }),
    bands: parseBandConfig({ bands: [{ name: 'd', from: 100, to: 199 }], default_band: 'd' }),
    placement: DEFAULT_PLACEMENT_CONFIG,
    cordons: await Cordons.open(null),
    webhookBook: await WebhookBook.open(join(dir, 'webhooks.json')),
    joinToken: 'j'.repeat(20),
    adminToken: 'a'.repeat(20),
    sweepMs: 5,
    now,
  });
}

describe('createCoordinator', () => {
  it('sweeps for down nodes only after start(), on its injected clock, and stops sweeping on stop()', async () => {
    let later = 0;
    const c = await build(() => Date.now() + later);
    c.registry.connect(helloFor('n1'), { send: () => undefined, close: () => undefined }, Date.now());
    later = 3_600_000; // an hour without a heartbeat
    await new Promise((r) => setTimeout(r, 30));
    expect(c.registry.get('n1')?.state).toBe('ready'); // not started: no sweep
    c.start();
    await new Promise((r) => setTimeout(r, 30));
    expect(c.registry.get('n1')?.state).toBe('down');
    await c.stop();
    c.registry.connect(helloFor('n2'), { send: () => undefined, close: () => undefined }, Date.now());
    await new Promise((r) => setTimeout(r, 30));
    expect(c.registry.get('n2')?.state).toBe('ready');
  });

  it('answers the admin token it was given and refuses another', async () => {
    const c = await build(Date.now);
    const ask = (token: string) =>
      c.app.request('/v1/tenants', { headers: { authorization: `Bearer ${token}` } });
    expect((await ask('a'.repeat(20))).status).toBe(200);
    expect((await ask('b'.repeat(20))).status).toBe(401);
    await c.stop();
  });
});

describe('appHarness temp dir', () => {
  let leftBehind = '';
  it('close() removes it and can run twice', async () => {
    const h = await appHarness();
    const dir = dirname(h.auditPath);
    expect(existsSync(dir)).toBe(true);
    await h.close();
    expect(existsSync(dir)).toBe(false);
    await h.close();
  });

  it('is still there while its test runs', async () => {
    const h = await appHarness();
    leftBehind = dirname(h.auditPath);
    await h.tenant('acme');
    expect(existsSync(join(leftBehind, 'audit.log'))).toBe(true);
  });

  it('is gone once the test that built it finished (nobody called close)', () => {
    expect(leftBehind).not.toBe('');
    expect(existsSync(leftBehind)).toBe(false);
  });
});
