// vmpool-broker overhead and gate throughput against the OpenAI-compatible test upstream (no model).
// Build, then run: npm run build && node dist/bench/broker.js [--requests 1000] [--concurrency 64] [--seconds 5]
//   [--journal-dir /dev/shm]
// Reports: added latency (p50/p99 of broker minus direct, sequential non-streamed calls), and the
// broker's answers per second with the gate saturated (admitted 200s and immediate 503s).
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateLicenseKeys, issueLicense } from '../broker/license/license.js';
import { startTestUpstream } from '../test/helpers/openai-upstream.js';
import { decimal, integer, text } from './lib/option-kinds.js';
import { parseOptions } from './lib/options.js';

const BROKER_BIN = join(import.meta.dirname, '..', 'broker', 'main.js');
const ADMIN = 'bench-broker-admin-0123456789';
const KEY = 'sk-bench-tenant-0123456789';

const values = parseOptions(process.argv.slice(2), {
  requests: integer({ min: 1, default: 1000 }),
  concurrency: integer({ min: 1, default: 64 }),
  seconds: decimal({ above: 0, default: 5 }),
  // the metering journal's directory: its fdatasync is part of every answer (try /dev/shm to see the rest)
  journalDir: text(),
});

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function startBroker(
  dir: string,
  upstream: string,
  port: number,
  dataDir: string,
): Promise<ChildProcess> {
  const { publicPem, privatePem } = generateLicenseKeys();
  writeFileSync(join(dir, 'pub.pem'), publicPem);
  const now = Date.now();
  const lic = {
    id: 'bench',
    licensee: 'bench',
    issued_at: new Date(now - 60_000).toISOString(),
    expires_at: new Date(now + 3_600_000).toISOString(),
  };
  writeFileSync(join(dir, 'broker.license'), issueLicense(lic, privatePem));
  const sha256 = createHash('sha256').update(KEY).digest('hex');
  writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: [{ tenant: 'bench', sha256 }] }));
  const args = [
    ...['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--upstreams', `a=${upstream}`],
    ...['--license', join(dir, 'broker.license'), '--license-public-key', join(dir, 'pub.pem')],
    ...['--api-keys', join(dir, 'keys.json'), '--upstream-concurrency', '16', '--tenant-concurrency', '1000'],
    ...['--queue-length', '0'],
  ];
  const child = spawn(process.execPath, [BROKER_BIN, ...args], {
    env: { ...process.env, VMPOOL_BROKER_ADMIN_TOKEN: ADMIN, VMPOOL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('broker did not start');
}

const body = JSON.stringify({
  model: 'test-slm',
  messages: [{ role: 'user', content: 'a b c' }],
  max_tokens: 8,
});

async function call(url: string): Promise<{ ms: number; status: number }> {
  const t0 = performance.now();
  const r = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body,
  });
  await r.arrayBuffer();
  return { ms: performance.now() - t0, status: r.status };
}

async function sequential(url: string, n: number): Promise<number[]> {
  for (let i = 0; i < 50; i++) await call(url); // warm-up
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call(url)).ms);
  return out;
}

async function saturate(url: string, concurrency: number, seconds: number) {
  const end = performance.now() + seconds * 1000;
  const ok: number[] = [];
  const refused: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const r = await call(url);
        (r.status === 200 ? ok : refused).push(r.ms);
      }
    }),
  );
  return { ok, refused };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vmpool-bench-broker-'));
  const up = await startTestUpstream('a');
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const dataDir = values.journalDir
    ? mkdtempSync(join(values.journalDir, 'vmpool-bench-'))
    : join(dir, 'data');
  const broker = await startBroker(dir, up.url, port, dataDir);
  const brokerUrl = `http://127.0.0.1:${port}`;
  try {
    const n = values.requests;
    const direct = await sequential(up.url, n);
    const via = await sequential(brokerUrl, n);
    const r = (x: number) => Math.round(x * 100) / 100;
    console.log(`sequential non-streamed calls: ${n} each; metering journal in ${dataDir}`);
    console.log(`  direct  p50 ${r(pct(direct, 50))} ms  p99 ${r(pct(direct, 99))} ms`);
    console.log(`  broker  p50 ${r(pct(via, 50))} ms  p99 ${r(pct(via, 99))} ms`);
    console.log(
      `  added   p50 ${r(pct(via, 50) - pct(direct, 50))} ms  p99 ${r(pct(via, 99) - pct(direct, 99))} ms`,
    );
    up.set({ slowMs: 20 });
    const c = values.concurrency;
    const s = values.seconds;
    const g = await saturate(brokerUrl, c, s);
    console.log(
      `gate saturated: ${c} callers for ${s} s, 16 upstream slots, upstream 20 ms per call, no queue`,
    );
    console.log(`  admitted ${r(g.ok.length / s)}/s (p50 ${r(pct(g.ok, 50))} ms)`);
    console.log(
      `  refused  ${r(g.refused.length / s)}/s with 503 (p50 ${r(pct(g.refused, 50))} ms, p99 ${r(pct(g.refused, 99))} ms)`,
    );
    console.log(`  answers  ${r((g.ok.length + g.refused.length) / s)}/s in all`);
    // the gate alone: every slot held by a hung call, so each answer is the broker's own 503
    up.set({ slowMs: 0, hang: true });
    const holders = Array.from({ length: 16 }, () => call(brokerUrl).catch(() => null));
    await new Promise((res) => setTimeout(res, 500));
    const full = await saturate(brokerUrl, c, s);
    console.log(`gate full (16 hung calls hold every slot): ${c} callers for ${s} s`);
    console.log(
      `  refused  ${r(full.refused.length / s)}/s with 503 (p50 ${r(pct(full.refused, 50))} ms, p99 ${r(pct(full.refused, 99))} ms), admitted ${full.ok.length}`,
    );
    void holders;
  } finally {
    broker.kill('SIGKILL');
    await up.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
