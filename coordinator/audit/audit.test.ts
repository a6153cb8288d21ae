import { createSecretKey } from 'node:crypto';
import { constants } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openFlagsOf } from '../../shared/testing/open-flags.js';
import { AuditLog } from './audit-log.js';
import { formatLine, GENESIS_HASH, hashEntry, parseLine, sealEntry, sealLine } from './entry.js';
import { verify, verifyText } from './verify.js';

const root = await mkdtemp(join(tmpdir(), 'vmpool-audit-test-'));
afterAll(() => rm(root, { recursive: true, force: true }));
let n = 0;

const FIELDS = ['seq', 'ts', 'tenant', 'vm', 'op', 'source', 'result', 'prev_hash', 'hash'] as const;

/** writeLog makes a fresh log of `count` entries and returns its path and lines. */
async function writeLog(count = 4): Promise<{ path: string; lines: string[] }> {
  const path = join(root, `audit-${++n}.jsonl`);
  let tick = Date.UTC(2026, 0, 1);
  const log = await AuditLog.open(path, { now: () => new Date(tick++) });
  for (let i = 0; i < count; i++) {
    await log.append({
      tenant: i % 2 ? 'acme' : 'beta',
      vm: `vm-${i}`,
      op: 'vm.create',
      source: 'api',
      result: 'ok',
    });
  }
  await log.close();
  const text = await readFile(path, 'utf8');
  return { path, lines: text.split('\n').slice(0, -1) };
}

function join_(lines: string[]): string {
  return lines.map((l) => `${l}\n`).join('');
}

/** edit changes one field of one line to a different value of the same type. */
function edit(line: string, field: (typeof FIELDS)[number]): string {
  const e = JSON.parse(line);
  e[field] = typeof e[field] === 'number' ? e[field] + 10 : e[field] === null ? 'x' : `${e[field]}x`;
  return JSON.stringify(e);
}

describe('AuditLog chain', () => {
  it('writes a chain that verifies, starting from the genesis hash', async () => {
    const { path, lines } = await writeLog(5);
    const first = JSON.parse(lines[0]!);
    expect(first.seq).toBe(1);
    expect(first.prev_hash).toBe(GENESIS_HASH);
    const { hash, ...body } = first;
    expect(hashEntry(body)).toBe(hash);
    expect(Object.keys(first)).toEqual([...FIELDS]);
    expect(await verify(path)).toMatchObject({ ok: true, entries: 5 });
  });

  it('holds its file open with O_DSYNC, so an entry is on disk when its append resolves', async () => {
    const path = join(root, `audit-${++n}.jsonl`);
    const log = await AuditLog.open(path);
    await log.append({ tenant: 't', vm: 'vm-1', op: 'vm.create', source: 'api', result: 'ok' });
    const flags = openFlagsOf(path);
    await log.close();
    expect(flags).toHaveLength(1);
    expect(flags[0]! & constants.O_DSYNC).toBe(constants.O_DSYNC);
  });

  it('continues seq and chain after reopening', async () => {
    const { path } = await writeLog(2);
    const log = await AuditLog.open(path);
    const entry = await log.append({
      tenant: null,
      vm: null,
      op: 'tenant.create',
      source: 'api',
      result: 'ok',
    });
    await log.close();
    expect(entry.seq).toBe(3);
    expect(await verify(path)).toMatchObject({ ok: true, entries: 3 });
  });

  it('keeps concurrent appends in call order', async () => {
    const path = join(root, `concurrent-${++n}.jsonl`);
    const log = await AuditLog.open(path);
    const entries = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        log.append({ tenant: 't', vm: `vm-${i}`, op: 'op', source: 'api', result: 'ok' }),
      ),
    );
    await log.close();
    expect(entries.map((e) => e.vm)).toEqual(Array.from({ length: 20 }, (_, i) => `vm-${i}`));
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await verify(path)).toMatchObject({ ok: true, entries: 20 });
  });
});

describe('sealLine', () => {
  it('writes the bytes and hash sealEntry + formatLine write, with and without a key (Buffer or KeyObject)', () => {
    const key = Buffer.alloc(32, 7);
    const inputs = [
      { tenant: 'acme', vm: 'vm-1', op: 'vm.create', source: 'http 127.0.0.1 tenant:acme', result: 'ok' },
      { tenant: null, vm: null, op: 'tenant.create', source: 'a "quoted" \\ ü\n', result: 'rejected:x' },
    ];
    for (const k of [key, undefined])
      for (const input of inputs) {
        const ts = '2026-01-01T00:00:00.000Z';
        const { entry, line } = sealLine(input, 41, ts, GENESIS_HASH, k);
        const sealed = sealEntry(input, 41, ts, GENESIS_HASH, k);
        expect(entry).toEqual(sealed);
        expect(Object.keys(entry)).toEqual(Object.keys(sealed));
        expect(line).toBe(formatLine(sealed));
        expect(parseLine(line.slice(0, -1), k)).toEqual(sealed);
        // the appender's KeyObject, made once, MACs exactly as the raw key does
        if (k) expect(sealLine(input, 41, ts, GENESIS_HASH, createSecretKey(k)).line).toBe(line);
      }
  });
});

describe('verify detects tampering', () => {
  const cases = [0, 1, 3].flatMap((lineIndex) => FIELDS.map((field) => [lineIndex, field] as const));

  it.each(cases)('editing line %i field %s is reported at that line', async (lineIndex, field) => {
    const { lines } = await writeLog(4);
    lines[lineIndex] = edit(lines[lineIndex]!, field);
    const result = verifyText(join_(lines));
    expect(result).toMatchObject({ ok: false, line: lineIndex + 1 });
  });

  it('an edit that keeps the JSON value but changes the bytes is detected', async () => {
    const { lines } = await writeLog(3);
    lines[1] = lines[1]!.replace('"op":', '"op" :');
    expect(verifyText(join_(lines))).toEqual({ ok: false, line: 2, reason: 'bad_shape' });
  });

  it.each([0, 1, 2])('deleting line %i is detected at the line that follows', async (index) => {
    const { lines } = await writeLog(4);
    lines.splice(index, 1);
    expect(verifyText(join_(lines))).toMatchObject({ ok: false, line: index + 1, reason: 'bad_seq' });
  });

  it('reordering two lines is detected', async () => {
    const { lines } = await writeLog(4);
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    expect(verifyText(join_(lines))).toMatchObject({ ok: false, line: 2, reason: 'bad_seq' });
  });

  it('a renumbered deletion still breaks the prev_hash link', async () => {
    const { lines } = await writeLog(3);
    lines.splice(1, 1);
    const third = JSON.parse(lines[1]!);
    third.seq = 2;
    lines[1] = JSON.stringify(third);
    expect(verifyText(join_(lines))).toMatchObject({ ok: false, line: 2 });
  });

  it('a partial final line is a torn_tail', async () => {
    const { lines } = await writeLog(3);
    const text = join_(lines) + lines[2]!.slice(0, 30);
    expect(verifyText(text)).toEqual({ ok: false, line: 4, reason: 'torn_tail' });
  });

  it('an empty or missing log verifies with no entries', async () => {
    expect(verifyText('')).toMatchObject({ ok: true, entries: 0, head_hash: GENESIS_HASH });
    expect(await verify(join(root, 'missing.jsonl'))).toMatchObject({ ok: true, entries: 0 });
  });
});

describe('AuditLog.open recovery', () => {
  it('truncates a torn tail back to the last full line and appends after it', async () => {
    const { path, lines } = await writeLog(3);
    await appendFile(path, '{"seq":4,"ts":"2026-');
    expect(await verify(path)).toMatchObject({ ok: false, reason: 'torn_tail' });
    const log = await AuditLog.open(path);
    const entry = await log.append({
      tenant: 'acme',
      vm: null,
      op: 'vm.delete',
      source: 'api',
      result: 'ok',
    });
    await log.close();
    expect(entry.seq).toBe(4);
    expect(entry.prev_hash).toBe(JSON.parse(lines[2]!).hash);
    expect(await verify(path)).toMatchObject({ ok: true, entries: 4 });
  });

  it('refuses a log whose last line was edited', async () => {
    const { path, lines } = await writeLog(2);
    lines[1] = edit(lines[1]!, 'result');
    await writeFile(path, join_(lines));
    await expect(AuditLog.open(path)).rejects.toMatchObject({ code: 'audit_corrupt' });
  });

  it('finds the last line beyond the first 64 KiB read', async () => {
    const path = join(root, `long-${++n}.jsonl`);
    const log = await AuditLog.open(path);
    await log.append({ tenant: 't', vm: 'v'.repeat(100_000), op: 'op', source: 'api', result: 'ok' });
    await log.close();
    const reopened = await AuditLog.open(path);
    expect(
      (await reopened.append({ tenant: 't', vm: null, op: 'op', source: 'api', result: 'ok' })).seq,
    ).toBe(2);
    await reopened.close();
    expect(await verify(path)).toMatchObject({ ok: true, entries: 2 });
  });
});

describe('AuditLog.list', () => {
  // newest first: a page of the latest entries, and `before` pages further back
  it.each([
    [{ limit: 10 }, ['vm-4', 'vm-3', 'vm-2', 'vm-1', 'vm-0']],
    [{ limit: 2 }, ['vm-4', 'vm-3']],
    [{ tenant: 'acme', limit: 10 }, ['vm-3', 'vm-1']],
    [{ since: 3, limit: 10 }, ['vm-4', 'vm-3']],
    [{ before: 3, limit: 10 }, ['vm-1', 'vm-0']],
    [{ vm: 'vm-2', limit: 10 }, ['vm-2']],
    [{ tenant: 'beta', since: 1, limit: 1 }, ['vm-4']],
    [{ tenant: 'beta', before: 5, limit: 1 }, ['vm-2']],
    [{ since: 2, before: 4, limit: 10 }, ['vm-2']],
  ])('list(%o) gives %o', async (query, expected) => {
    const { path } = await writeLog(5);
    const log = await AuditLog.open(path);
    expect((await log.list(query)).map((e) => e.vm)).toEqual(expected);
    await log.close();
  });
});
