import type { StoreState } from './types.js';

/** RecordMap names the per-record maps of StoreState that the etcd store keeps one key per record. */
export type RecordMap = 'tenants' | 'vms' | 'idempotency';

/** RECORD_MAPS is every per-record map, in the order they are written. */
export const RECORD_MAPS: readonly RecordMap[] = ['tenants', 'vms', 'idempotency'];

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
    const map = rest.slice(0, slash) as RecordMap;
    if (slash < 1 || !RECORD_MAPS.includes(map)) return null;
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
  for (const map of RECORD_MAPS) {
    const was = before[map] as Record<string, unknown>;
    const now = after[map] as Record<string, unknown>;
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
