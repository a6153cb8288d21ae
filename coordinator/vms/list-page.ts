import type { VmRecord } from '../store/types.js';
import { VmError } from './errors.js';

/** PageKey is where a page of GET /v1/vms ended: the last VM's creation time and id (a total order). */
export interface PageKey {
  created_at: string;
  id: string;
}

/** encodeCursor makes the opaque `next_cursor` for the page ending at `key`. */
export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.created_at, key.id]), 'utf8').toString('base64url');
}

/** decodeCursor reads a `cursor` back; anything this coordinator did not hand out is invalid_cursor. */
export function decodeCursor(cursor: string): PageKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || !parsed.every((p) => typeof p === 'string'))
    throw badCursor();
  return { created_at: parsed[0] as string, id: parsed[1] as string };
}

/** compareKeys orders VMs oldest first, ties by id: the order every page walks. */
export function compareKeys(a: PageKey, b: PageKey): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * pageOf picks, from the VMs that pass `keep`, the `limit` first ones after `after` in key order.
 * The cursor is a position in that order, not an offset, so VMs created or destroyed between pages
 * neither repeat nor shift others out: each VM present throughout is seen exactly once. This one
 * sorts what follows the cursor; takePage walks an order kept already (VmOrder).
 */
export function pageOf<T>(
  vms: Iterable<VmRecord>,
  keep: (vm: VmRecord) => T | null,
  limit: number,
  after: PageKey | null,
): { items: T[]; next: PageKey | null } {
  const rest: VmRecord[] = [];
  for (const vm of vms) if (after === null || compareKeys(vm, after) > 0) rest.push(vm);
  rest.sort(compareKeys);
  return takePage(rest, keep, limit);
}

/** takePage walks VMs already in key order (and after the cursor) until `limit` are kept. */
export function takePage<T>(
  ordered: Iterable<VmRecord>,
  keep: (vm: VmRecord) => T | null,
  limit: number,
): { items: T[]; next: PageKey | null } {
  const items: T[] = [];
  let last: VmRecord | null = null;
  for (const vm of ordered) {
    if (items.length === limit) return { items, next: last };
    const kept = keep(vm);
    last = vm;
    if (kept !== null) items.push(kept);
  }
  return { items, next: null };
}

function badCursor(): VmError {
  return new VmError('invalid_cursor', 'Cannot list VMs: the cursor is not one a previous page returned');
}
