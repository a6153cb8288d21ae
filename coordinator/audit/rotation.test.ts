import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from './audit-log.js';
import { listSegments } from './segments.js';

const root = await mkdtemp(join(tmpdir(), 'vmpool-audit-rot-'));
afterAll(() => rm(root, { recursive: true, force: true }));
let n = 0;
const key = randomBytes(32);

/** rotating opens a keyed log that rotates every ~1 KiB (about 4 entries) and appends `count` entries. */
async function rotating(count: number, keep = 100) {
  const dir = join(root, `d${++n}`);
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'audit.log');
  const log = await AuditLog.open(path, { key, maxBytes: 1024, keepSegments: keep });
  for (let i = 0; i < count; i++)
    await log.append({
      tenant: 't',
      vm: `vm-${i}`,
      op: 'vm.create',
      source: 'http 127.0.0.1 admin',
      result: 'ok',
    });
  return { path, log };
}

const lines = async (p: string) =>
  (await readFile(p, 'utf8'))
    .split('\n')
    .slice(0, -1)
    .map((l) => JSON.parse(l));

describe('audit rotation by size keeps one chain across files', () => {
  it('rotates into segments whose next file chains to the last hash; verify spans them', async () => {
    const { path, log } = await rotating(40);
    const segments = await listSegments(path);
    expect(segments.length).toBeGreaterThanOrEqual(5);
    const all = [];
    for (const f of [...segments, path]) {
      const ls = await lines(f);
      if (all.length && ls.length) expect(ls[0].prev_hash).toBe(all.at(-1).hash);
      all.push(...ls);
    }
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(basename(segments[0]!)).toMatch(/^audit\.log\.\d{12}$/);
    expect(await log.verify()).toEqual({ ok: true, entries: 40, head_hash: all.at(-1).hash });
    // list pages back across segments
    expect((await log.list({ limit: 10 })).map((e) => e.seq)).toEqual([
      40, 39, 38, 37, 36, 35, 34, 33, 32, 31,
    ]);
    await log.close();
    // a reopened log whose live file is empty (it just rotated) continues the chain
    const again = await AuditLog.open(path, { key, maxBytes: 1024 });
    const next = await again.append({ tenant: null, vm: null, op: 'x', source: 's', result: 'ok' });
    expect([next.seq, next.prev_hash]).toEqual([41, all.at(-1).hash]);
    expect(await again.verify()).toMatchObject({ ok: true, entries: 41 });
    await again.close();
  });

  it('detects a tampered byte, a deleted line and a deleted segment in an OLD segment, naming the file', async () => {
    const { path, log } = await rotating(30);
    const [first, second] = await listSegments(path);
    const text = await readFile(second!, 'utf8');
    await writeFile(second!, text.replace('"vm-5"', '"vm-X"'));
    expect(await log.verify()).toMatchObject({ ok: false, reason: 'bad_hash', file: basename(second!) });
    await writeFile(second!, text.split('\n').slice(1).join('\n'));
    expect(await log.verify()).toMatchObject({
      ok: false,
      line: 1,
      reason: 'bad_seq',
      file: basename(second!),
    });
    await writeFile(second!, text);
    expect(await log.verify()).toMatchObject({ ok: true });
    await unlink(first!); // the oldest segment, without an anchor saying it was pruned
    expect(await log.verify()).toMatchObject({ ok: false, line: 1, file: basename(second!) });
    await log.close();
  });

  it('keeps only N segments behind a MACed anchor: pruning verifies, deleting a kept one or forging the anchor does not', async () => {
    const { path, log } = await rotating(60, 3);
    const segments = await listSegments(path);
    expect(segments).toHaveLength(3);
    expect((await readdir(join(path, '..'))).sort()).toContain('audit.log.anchor');
    const verdict = await log.verify();
    expect(verdict).toMatchObject({ ok: true });
    expect((verdict as { entries: number }).entries).toBeLessThan(60);
    const anchor = await readFile(`${path}.anchor`, 'utf8');
    const forged = JSON.parse(anchor);
    await writeFile(`${path}.anchor`, JSON.stringify({ ...forged, seq: forged.seq + 4 }));
    expect(await log.verify()).toMatchObject({ ok: false, reason: 'bad_anchor' });
    await writeFile(`${path}.anchor`, anchor);
    const oldest = await readFile(segments[0]!, 'utf8');
    await unlink(segments[0]!);
    expect(await log.verify()).toMatchObject({ ok: false, line: 1, file: basename(segments[1]!) });
    await writeFile(segments[0]!, oldest);
    // truncating the live file is caught against the live head, in that file
    await log.append({ tenant: null, vm: null, op: 'x', source: 's', result: 'ok' });
    expect((await readFile(path, 'utf8')).length).toBeGreaterThan(0);
    await writeFile(path, '');
    expect(await log.verify()).toMatchObject({ ok: false, reason: 'truncated', file: 'audit.log' });
    await log.close();
  });
});
