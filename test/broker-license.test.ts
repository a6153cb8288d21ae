// biome-ignore-all lint/suspicious/noExplicitAny: answers are inspected field by field
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BROKER_ADMIN,
  BROKER_BIN,
  type Broker,
  chat,
  type LicenseKit,
  readStream,
  startBrokerRig,
  type BrokerRig,
} from './helpers/broker.js';
import type { TestUpstream } from './helpers/openai-upstream.js';
import { runBin, waitFor } from './helpers/procs.js';

// The license gate of the built broker: an Ed25519-signed license checked at start, periodically
// and at its expiry instant. A fault closes the gate to new requests; admitted ones (open streams
// included) finish; a valid license reopens it.

let kit: LicenseKit;
let up: TestUpstream;
let broker: Broker;
let rig: BrokerRig | undefined;

const status = async () => rig!.status();

beforeAll(async () => {
  rig = await startBrokerRig(['a'], (k) => [
    ...['--license-check-ms', '200', '--license-revocations', join(k.dir, 'revoked.json')],
    ...['--tenant-concurrency', '32', '--upstream-concurrency', '32'],
  ]);
  ({ kit, broker } = rig);
  [up] = rig.upstreams as [TestUpstream];
});

afterAll(async () => {
  await rig?.stop();
});

describe('vmpool-broker license gate', () => {
  it('closes the gate when the license expires mid-load without failing any in-flight request or stream', async () => {
    // the license runs out 1.5 s from now, while 6 streams of 3 s and 4 slow plain calls are in flight
    await kit.write(new Date(Date.now() + 1500), 'lic-short');
    await waitFor(async () => (await status()).license?.license?.id === 'lic-short', {
      what: 'short license read',
    });
    up.set({ chunkDelayMs: 150 });
    const streams = Array.from({ length: 6 }, () =>
      broker.call('/v1/chat/completions', { body: chat(2, 20, true) }),
    );
    up.set({ slowMs: 2500 });
    const plain = Array.from({ length: 4 }, () =>
      broker.call('/v1/completions', { body: { model: 'test-slm', prompt: 'a b', max_tokens: 2 } }),
    );
    await waitFor(async () => up.stats.active === 10, { what: '10 calls at the upstream' });
    await waitFor(async () => (await status()).gate.open === false, { what: 'gate closed', timeoutMs: 5000 });
    const t0 = performance.now();
    const refused = await broker.call('/v1/chat/completions', { body: chat(1, 1) });
    expect(performance.now() - t0).toBeLessThan(250);
    expect(refused.status).toBe(503);
    expect((await refused.json()).error.code).toBe('license_invalid');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(up.stats.active).toBeGreaterThan(0); // the gate closed with calls still in flight
    for (const s of await Promise.all((await Promise.all(streams)).map(readStream))) {
      expect(s.error).toBeNull();
      expect(s.done).toBe(true);
      expect(s.events.length).toBe(21); // 20 token chunks and [DONE]
    }
    for (const r of await Promise.all(plain)) {
      expect(r.status).toBe(200);
      expect((await r.json()).usage.total_tokens).toBe(4);
    }
    up.set({ chunkDelayMs: 0, slowMs: 0 });
    // a valid license reopens the gate
    await kit.write(new Date(Date.now() + 3_600_000), 'lic-renewed');
    await waitFor(async () => (await status()).gate.open, { what: 'gate reopened', timeoutMs: 5000 });
    expect((await broker.call('/v1/chat/completions', { body: chat(1, 1) })).status).toBe(200);
  });

  it('closes on a bad signature, a missing file and a revocation', async () => {
    const good = await import('node:fs/promises').then((fs) => fs.readFile(kit.licensePath, 'utf8'));
    const parsed = JSON.parse(good);
    const forged = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(parsed.payload, 'base64url').toString()),
        licensee: 'forger',
      }),
    ).toString('base64url');
    await writeFile(kit.licensePath, JSON.stringify({ ...parsed, payload: forged }));
    await waitFor(async () => (await status()).license?.reason === 'bad_signature', {
      what: 'bad signature seen',
    });
    expect((await broker.call('/v1/chat/completions', { body: chat(1, 1) })).status).toBe(503);
    await rm(kit.licensePath);
    await waitFor(async () => (await status()).license?.reason === 'missing', { what: 'missing seen' });
    await writeFile(kit.licensePath, good);
    await waitFor(async () => (await status()).gate.open, { what: 'reopened' });
    await writeFile(join(kit.dir, 'revoked.json'), JSON.stringify({ revoked: ['lic-renewed'] }));
    await waitFor(async () => (await status()).license?.reason === 'revoked', { what: 'revocation seen' });
    expect(
      (await (await broker.call('/v1/completions', { body: { model: 'test-slm', prompt: 'x' } })).json())
        .error.code,
    ).toBe('license_invalid');
    await writeFile(join(kit.dir, 'revoked.json'), JSON.stringify({ revoked: [] }));
    await waitFor(async () => (await status()).gate.open, { what: 'reopened after revocation lifted' });
    const v = await runBin(BROKER_BIN, [
      'license',
      'verify',
      kit.licensePath,
      '--license-public-key',
      kit.publicPath,
    ]);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ valid: true, license: { id: 'lic-renewed' } });
  });

  it('exits 2 with one line on bad settings and creates no data dir', async () => {
    const dataDir = join(kit.dir, 'never');
    const env = { VMPOOL_BROKER_ADMIN_TOKEN: BROKER_ADMIN };
    const bad = await runBin(BROKER_BIN, ['--data-dir', dataDir, '--breaker-failure-rate', '3'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('--breaker-failure-rate');
    const noKey = await runBin(
      BROKER_BIN,
      ['--data-dir', dataDir, '--license-public-key', join(kit.dir, 'nope.pem')],
      env,
    );
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--license-public-key');
    const { existsSync } = await import('node:fs');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('on SIGTERM it lets an open stream finish, then exits 0', async () => {
    up.set({ chunkDelayMs: 100 });
    const r = await broker.call('/v1/chat/completions', { body: chat(1, 10, true) });
    const reading = readStream(r);
    const exited = new Promise<number | null>((res) => broker.child.once('exit', (code) => res(code)));
    broker.child.kill('SIGTERM');
    await new Promise((res) => setTimeout(res, 200));
    const s = await reading;
    expect(s.done).toBe(true);
    expect(s.events).toHaveLength(11);
    expect(await exited).toBe(0);
    up.set({ chunkDelayMs: 0 });
  });
});
