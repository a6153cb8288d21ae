import { current, type Draft, type Immer, isDraft, type Patch } from 'immer';
import type { StoreState } from './types.js';

/** ABSENT marks a key that had no value before a change. */
export const ABSENT: unique symbol = Symbol('absent');

/** ChangeListener sees every record about to be replaced in place: its map, id and old value. */
export type ChangeListener = (map: string, id: string, old: unknown) => void;

/** InPlaceResult is a committed update: the new root, its patches and how to undo it. */
export interface InPlaceResult {
  root: StoreState;
  patches: Patch[];
  undo: () => void;
}

const DELETED = Symbol('deleted');
type Pending = { draft: Draft<object> } | { value: unknown } | typeof DELETED;

/**
 * updateInPlace runs a mutator against a draft of `state` and commits the result INTO the state's
 * id-keyed maps instead of copying them: an immer copy of a 100,000-entry map costs 60-200 ms per
 * write here, this costs what changed. Each record read through the draft is an immer draft of its
 * own (so records stay immutable: a changed record is a new object); the maps themselves change in
 * place, and `undo` puts back exactly what the update replaced. The root is a new object each time.
 */
export function updateInPlace(
  immer: Immer,
  state: StoreState,
  mutator: (draft: StoreState) => void,
  onChange?: ChangeListener,
): InPlaceResult {
  const root = new RootDraft(immer, state);
  mutator(root.proxy as unknown as StoreState);
  return root.commit(onChange);
}

/** Drafted counts the immer drafts one update handed out: with none, no value it stores can hold one. */
interface Drafted {
  count: number;
}

class MapDraft {
  /** traps are one handler for every map draft (the draft is the proxy's target): no closures per update */
  private static readonly traps: ProxyHandler<MapDraft> = {
    get: (m, key) => (typeof key === 'symbol' ? undefined : m.get(key)),
    set: (m, key, value) => m.put(key, { value }),
    defineProperty: (m, key, desc) => m.put(key, { value: desc.value }),
    deleteProperty: (m, key) => m.put(key, DELETED),
    has: (m, key) => typeof key === 'string' && m.has(key),
    ownKeys: (m) => m.keys(),
    getOwnPropertyDescriptor: (m, key) =>
      typeof key === 'string' && m.has(key)
        ? { value: m.get(key), writable: true, enumerable: true, configurable: true }
        : undefined,
    getPrototypeOf: () => null,
  };
  readonly pending = new Map<string, Pending>();
  readonly proxy: Record<string, unknown>;

  constructor(
    private readonly immer: Immer,
    readonly live: Record<string, unknown>,
    private readonly drafted: Drafted,
  ) {
    this.proxy = new Proxy<MapDraft>(this, MapDraft.traps) as unknown as Record<string, unknown>;
  }

  private get(key: string): unknown {
    const p = this.pending.get(key);
    if (p === DELETED) return undefined;
    if (p) return 'draft' in p ? p.draft : p.value;
    if (!Object.hasOwn(this.live, key)) return undefined;
    const v = this.live[key];
    if (typeof v !== 'object' || v === null) return v;
    const draft = this.immer.createDraft(v);
    this.drafted.count++;
    this.pending.set(key, { draft });
    return draft;
  }

  private put(key: string | symbol, p: Pending): boolean {
    if (typeof key === 'symbol') return false;
    this.pending.set(key, p);
    return true;
  }

  private has(key: string): boolean {
    const p = this.pending.get(key);
    return p === undefined ? Object.hasOwn(this.live, key) : p !== DELETED;
  }

  private keys(): string[] {
    const out = Object.keys(this.live).filter((k) => this.pending.get(k) !== DELETED);
    for (const [k, p] of this.pending) if (p !== DELETED && !Object.hasOwn(this.live, k)) out.push(k);
    return out;
  }
}

class RootDraft {
  /** traps are one handler for every root draft (the draft is the proxy's target): no closures per update */
  private static readonly traps: ProxyHandler<RootDraft> = {
    get: (r, key) => (typeof key === 'symbol' ? undefined : r.get(key)),
    set: (r, key, value) => r.put(key, value),
    deleteProperty: (r, key) => r.put(key, DELETED),
    has: (r, key) =>
      typeof key === 'string' && (r.replaced.has(key) ? r.replaced.get(key) !== DELETED : key in r.state),
    // the draft's own fields stay hidden: to a mutator the root looks like an empty plain object
    ownKeys: () => [],
    getOwnPropertyDescriptor: () => undefined,
    getPrototypeOf: () => Object.prototype,
  };
  readonly proxy: Record<string, unknown>;
  private readonly maps = new Map<string, MapDraft>();
  private readonly replaced = new Map<string, unknown>();
  private readonly drafted: Drafted = { count: 0 };

  constructor(
    private readonly immer: Immer,
    private readonly state: StoreState,
  ) {
    this.proxy = new Proxy<RootDraft>(this, RootDraft.traps) as unknown as Record<string, unknown>;
  }

  private get(key: string): unknown {
    if (this.replaced.has(key)) return unwrap(this.replaced.get(key));
    const v = (this.state as unknown as Record<string, unknown>)[key];
    if (typeof v !== 'object' || v === null) return v;
    let m = this.maps.get(key);
    if (!m) {
      m = new MapDraft(this.immer, v as Record<string, unknown>, this.drafted);
      this.maps.set(key, m);
    }
    return m.proxy;
  }

  private put(key: string | symbol, value: unknown): boolean {
    if (typeof key === 'symbol') return false;
    this.maps.delete(key);
    this.replaced.set(key, value);
    return true;
  }

  commit(onChange?: ChangeListener): InPlaceResult {
    const patches: Patch[] = [];
    const undos: (() => void)[] = [];
    this.plainValues();
    for (const [name, m] of this.maps) commitMap(this.immer, name, m, patches, undos, onChange);
    const root = { ...this.state } as unknown as Record<string, unknown>;
    for (const [key, v] of this.replaced) {
      const had = Object.hasOwn(root, key);
      if (v === DELETED) {
        if (!had) continue;
        delete root[key];
        patches.push({ op: 'remove', path: [key] });
      } else {
        const value = v;
        root[key] = value;
        patches.push({ op: had ? 'replace' : 'add', path: [key], value });
      }
    }
    return {
      root: root as unknown as StoreState,
      patches,
      undo: () => {
        for (let i = undos.length - 1; i >= 0; i--) undos[i]?.();
      },
    };
  }

  /**
   * plainValues turns every value the update stored into plain data, before any record's draft is
   * finished (finishing revokes it, and a value may hold it: `d.vms.b = { ...b, tags: d.vms.a.tags }`).
   * An update that read no record through the draft (a create sets a new, plain record) cannot
   * have stored a draft, so its values are kept as they are, without walking them.
   */
  private plainValues(): void {
    if (this.drafted.count === 0) return;
    for (const [key, v] of this.replaced) if (v !== DELETED) this.replaced.set(key, plain(v));
    for (const m of this.maps.values())
      for (const [id, p] of m.pending)
        if (p !== DELETED && 'value' in p) m.pending.set(id, { value: plain(p.value) });
  }
}

function commitMap(
  immer: Immer,
  name: string,
  m: MapDraft,
  patches: Patch[],
  undos: (() => void)[],
  onChange?: ChangeListener,
): void {
  const live = m.live;
  for (const [id, p] of m.pending) {
    const had = Object.hasOwn(live, id);
    const old = had ? live[id] : ABSENT;
    let next: unknown;
    if (p === DELETED) {
      if (!had) continue;
      patches.push({ op: 'remove', path: [name, id] });
    } else if ('draft' in p) {
      const sub: Patch[] = [];
      next = immer.finishDraft(p.draft, (ps) => sub.push(...ps));
      if (sub.length === 0) continue;
      for (const s of sub) patches.push({ ...s, path: [name, id, ...s.path] });
    } else {
      next = p.value;
      patches.push({ op: had ? 'replace' : 'add', path: [name, id], value: next });
    }
    onChange?.(name, id, old);
    setOrDelete(live, id, p === DELETED ? ABSENT : next);
    undos.push(() => setOrDelete(live, id, old));
  }
}

/** setOrDelete sets an own data property; `__proto__` alone needs defineProperty (a map with a prototype has its setter). */
function setOrDelete(map: Record<string, unknown>, id: string, value: unknown): void {
  if (value === ABSENT) delete map[id];
  else if (id !== '__proto__') map[id] = value;
  else Object.defineProperty(map, id, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * plain turns a value that may hold drafts (`{ ...d.vms[id], state }` holds its nested objects as
 * drafts) into plain data, copying only the containers on the way to a draft.
 */
function plain(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (isDraft(v)) return current(v);
  if (Array.isArray(v)) return plainArray(v);
  const obj = v as Record<string, unknown>;
  let copy: Record<string, unknown> | null = null;
  for (const k of Object.keys(obj)) {
    const x = obj[k];
    const p = plain(x);
    if (p === x) continue;
    copy ??= Object.assign(Object.create(Object.getPrototypeOf(obj)), obj) as Record<string, unknown>;
    copy[k] = p;
  }
  return copy ?? obj;
}

/** plainArray is plain for an array: the same array when nothing in it is a draft. */
function plainArray(v: unknown[]): unknown[] {
  let copy: unknown[] | null = null;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    const p = plain(x);
    if (p === x) continue;
    copy ??= v.slice();
    copy[i] = p;
  }
  return copy ?? v;
}

function unwrap(v: unknown): unknown {
  return v === DELETED ? undefined : v;
}
