import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditEntry, formatLine, hashEntry } from '../coordinator/audit/entry.js';
import { type Coordinator, requireBuild, startCoordinator } from './helpers/procs.js';

// The audit chain against an attacker who can write the data dir but not read the key file: a
// real coordinator holds the live head and writes MACed checkpoints beside the log.

let coord: Coordinator;
let keyDir: string;
let original: string;
const logPath = () => join(coord.dataDir, 'audit.log');
const args = () => ['--audit-key-file', join(keyDir, 'audit.key')];

const lines = (text: string) => text.split('\n').slice(0, -1);
const text = (ls: string[]) => ls.map((l) => `${l}\n`).join('');
const entry = (line: string) => JSON.parse(line) as AuditEntry;

/** sha256Chain re-links lines from `from` on with plain sha256 (what an attacker without the key can do). */
function sha256Chain(ls: string[], from: number): string[] {
  const out = [...ls];
  for (let i = from; i < out.length; i++) {
    const e = entry(out[i]!);
    const prev = i === 0 ? '0'.repeat(64) : entry(out[i - 1]!).hash;
    const body = { ...e, prev_hash: prev } as Omit<AuditEntry, 'hash'> & { hash?: string };
    delete body.hash;
    out[i] = formatLine({ ...body, hash: hashEntry(body) }).trimEnd();
  }
  return out;
}

async function verdict(): Promise<unknown> {
  return (await coord.api('GET', '/v1/audit/verify')).body;
}

beforeAll(async () => {
  requireBuild();
  keyDir = await mkdtemp(join(tmpdir(), 'vmpool-auditkey-'));
  await writeFile(join(keyDir, 'audit.key'), `${'k'.repeat(48)}\n`, { mode: 0o600 });
  coord = await startCoordinator({ args: args() });
  for (let i = 0; i < 6; i++)
    await coord.api('POST', '/v1/tenants', {
      body: { name: `audit-${i}`, quota: { vcpus: 1, memory_mb: 512, vms: 1 } },
    });
  original = await readFile(logPath(), 'utf8');
});

afterAll(async () => {
  await coord?.kill();
  if (coord) await rm(coord.dataDir, { recursive: true, force: true });
  if (keyDir) await rm(keyDir, { recursive: true, force: true });
});

describe('audit chain tampering is detected with its position', () => {
  const n = () => lines(original).length;
  it.each([
    [
      'edit a byte',
      (ls: string[]) => ls.map((l, i) => (i === 2 ? l.replace('"tenant.create"', '"tenant.creatf"') : l)),
      3,
      'bad_hash',
    ],
    ['delete a line', (ls: string[]) => ls.filter((_, i) => i !== 2), 3, 'bad_seq'],
    ['swap two lines', (ls: string[]) => [ls[0]!, ls[2]!, ls[1]!, ...ls.slice(3)], 2, 'bad_seq'],
    [
      're-chain with sha256 after an edit',
      (ls: string[]) =>
        sha256Chain(
          ls.map((l, i) => (i === 2 ? l.replace('"ok"', '"no"') : l)),
          2,
        ),
      3,
      'bad_hash',
    ],
  ] as const)('%s', async (_label, tamper, line, reason) => {
    await writeFile(logPath(), text(tamper(lines(original))));
    expect(await verdict()).toEqual({ ok: false, line, reason });
    await writeFile(logPath(), original);
  });

  it('truncation (deleting trailing lines) against the live head', async () => {
    await writeFile(logPath(), text(lines(original).slice(0, -2)));
    expect(await verdict()).toEqual({ ok: false, line: n() - 1, reason: 'truncated' });
    await writeFile(logPath(), original);
  });

  it('a correctly SHA-256-chained forged line appended at the end', async () => {
    const ls = lines(original);
    const last = entry(ls.at(-1)!);
    const body = {
      seq: last.seq + 1,
      ts: last.ts,
      tenant: null,
      vm: null,
      op: 'tenant.create',
      source: 'x',
      result: 'ok',
      prev_hash: last.hash,
    };
    await writeFile(logPath(), text([...ls, formatLine({ ...body, hash: hashEntry(body) }).trimEnd()]));
    expect(await verdict()).toEqual({ ok: false, line: n() + 1, reason: 'bad_hash' });
    await writeFile(logPath(), original);
  });

  it('emptying the file', async () => {
    await writeFile(logPath(), '');
    expect(await verdict()).toEqual({ ok: false, line: 1, reason: 'truncated' });
    await writeFile(logPath(), original);
    expect(await verdict()).toMatchObject({ ok: true, entries: n() });
  });

  it('truncation while the coordinator was down, against its last checkpoint', async () => {
    await coord.kill();
    await writeFile(logPath(), text(lines(original).slice(0, -3)));
    coord = await startCoordinator({ dataDir: coord.dataDir, port: coord.port, args: args() });
    expect(await verdict()).toEqual({ ok: false, line: n() - 2, reason: 'truncated' });
  });
});
