import type { Patch } from 'immer';
import { StoreError } from './errors.js';

type Container = Record<string, unknown> | unknown[];

/**
 * applyPatchesInPlace replays journalled immer patches onto a freshly parsed (so unshared,
 * mutable) state. It is not immer's applyPatches because that refuses keys such as `__proto__`
 * and `constructor`, which are ordinary ids in the store's null-prototype maps; here every key is
 * set as an own data property, so no id can reach a prototype.
 */
export function applyPatchesInPlace(root: Record<string, unknown>, patches: readonly Patch[]): void {
  for (const p of patches) applyOne(root, p);
}

function applyOne(root: Record<string, unknown>, p: Patch): void {
  if (p.path.length === 0) throw corrupt('a patch replaces the whole state');
  let at: unknown = root;
  for (const key of p.path.slice(0, -1)) {
    at = own(at, key);
    if (typeof at !== 'object' || at === null) throw corrupt(`a patch path is missing: ${p.path.join('/')}`);
  }
  const target = at as Container;
  const key = p.path[p.path.length - 1] as string | number;
  if (Array.isArray(target)) applyToArray(target, p, key);
  else applyToObject(target, p, String(key));
}

function applyToArray(arr: unknown[], p: Patch, key: string | number): void {
  if (key === 'length' && p.op === 'replace') {
    arr.length = Number(p.value);
    return;
  }
  const i = key === '-' ? arr.length : Number(key);
  if (p.op === 'add') arr.splice(i, 0, p.value);
  else if (p.op === 'remove') arr.splice(i, 1);
  else arr[i] = p.value;
}

function applyToObject(obj: Record<string, unknown>, p: Patch, key: string): void {
  if (p.op === 'remove') {
    delete obj[key];
    return;
  }
  Object.defineProperty(obj, key, { value: p.value, writable: true, enumerable: true, configurable: true });
}

function own(at: unknown, key: string | number): unknown {
  if (typeof at !== 'object' || at === null) return undefined;
  return Object.hasOwn(at, key) ? (at as Record<string, unknown>)[key] : undefined;
}

function corrupt(what: string): StoreError {
  return new StoreError('store_corrupt', `Cannot replay the coordinator journal: ${what}`);
}
