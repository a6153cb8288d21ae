import { StoreError } from './errors.js';
import type { StoreState } from './types.js';

/**
 * RecordMap names a per-record map of StoreState (tenants, vms, idempotency, and any map added
 * later, e.g. node credentials): every top-level field but `version`, one etcd key per record.
 */
export type RecordMap = string;

/** recordMaps lists the per-record maps of a state: every top-level field except `version`. */
export function recordMaps(state: StoreState): RecordMap[] {
  return Object.keys(state).filter((k) => k !== 'version');
}

/** SCALARS is the pseudo-map holding top-level scalar fields (e.g. join_token_hash): `<prefix>/s/_/<field>`. */
export const SCALARS = '_';

/** StoreKeys lays StoreState out under one prefix: `<prefix>/s/<map>/<id>`, one JSON value each. */
export class StoreKeys {
  constructor(readonly prefix: string) {}

  /** records is the prefix every record key starts with. */
  get records(): string {
    return `${this.prefix}/s/`;
  }

  /** key is the etcd key of one record (ids are opaque bytes to etcd: no escaping needed). */
  key(map: RecordMap, id: string): string {
    return `${this.records}${map}/${id}`;
  }

  /** parse splits a record key back into map and id; null for keys outside the layout. */
  parse(key: string): { map: RecordMap; id: string } | null {
    if (!key.startsWith(this.records)) return null;
    const rest = key.slice(this.records.length);
    const slash = rest.indexOf('/');
    const map = rest.slice(0, slash);
    if (slash < 1 || map === 'version' || map === '__proto__') return null;
    return { map, id: rest.slice(slash + 1) };
  }
}

/** RecordOp is one put or delete a batch needs. */
export type RecordOp = { kind: 'put'; key: string; value: string } | { kind: 'delete'; key: string };

/**
 * diffStates lists the record puts and deletes that turn `before` into `after`. Records are
 * compared by reference: the store's updates go through immer, which keeps every untouched record
 * object, so a batch costs what it changed, not the size of the state.
 */
export function diffStates(keys: StoreKeys, before: StoreState, after: StoreState): RecordOp[] {
  const ops: RecordOp[] = [];
  const maps = new Set([...recordMaps(before), ...recordMaps(after)]);
  for (const map of maps) {
    if (isScalar(before, map) || isScalar(after, map)) {
      diffScalar(keys, map, field(before, map), field(after, map), ops);
      continue;
    }
    const was = mapOf(before, map);
    const now = mapOf(after, map);
    if (was === now) continue;
    for (const id of Object.keys(now)) {
      if (was[id] !== now[id])
        ops.push({ kind: 'put', key: keys.key(map, id), value: JSON.stringify(now[id]) });
    }
    for (const id of Object.keys(was)) {
      if (!Object.hasOwn(now, id)) ops.push({ kind: 'delete', key: keys.key(map, id) });
    }
  }
  return ops;
}

/** placeRecord sets (or, with undefined, removes) the record a key names in a state draft. */
export function placeRecord(state: StoreState, at: { map: RecordMap; id: string }, value: unknown): void {
  const root = state as unknown as Record<string, unknown>;
  if (at.map === SCALARS) {
    if (at.id === 'version' || at.id === '__proto__') return;
    if (value === undefined) delete root[at.id];
    else root[at.id] = value;
    return;
  }
  const maps = root as Record<string, Record<string, unknown>>;
  maps[at.map] ??= Object.create(null) as Record<string, unknown>;
  const map = maps[at.map]!;
  if (value === undefined) delete map[at.id];
  else map[at.id] = value;
}

function field(state: StoreState, name: string): unknown {
  return (state as unknown as Record<string, unknown>)[name];
}

function isScalar(state: StoreState, name: string): boolean {
  const v = field(state, name);
  return v !== undefined && (typeof v !== 'object' || v === null);
}

function diffScalar(keys: StoreKeys, name: string, was: unknown, now: unknown, ops: RecordOp[]): void {
  if (was === now) return;
  if (now === undefined) ops.push({ kind: 'delete', key: keys.key(SCALARS, name) });
  else ops.push({ kind: 'put', key: keys.key(SCALARS, name), value: JSON.stringify(now) });
}

function mapOf(state: StoreState, map: RecordMap): Record<string, unknown> {
  const v = (state as unknown as Record<string, unknown>)[map];
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new StoreError('store_write_failed', `Cannot keep "${map}" in etcd: only id-keyed maps are stored`);
  return v as Record<string, unknown>;
}
