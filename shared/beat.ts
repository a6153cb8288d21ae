import { createHash } from 'node:crypto';
import { type Beat, DIGEST_RE, MAX_STATS_VMS, VM_STAT_KEYS, type VmReport } from './protocol.js';

/**
 * vmsDigest is the digest of a node's VM list: sha256 of the reports sorted by vm_id, as JSON. The
 * agent computes it; the coordinator only compares it with the one the last full list carried.
 */
export function vmsDigest(reports: readonly VmReport[]): string {
  const sorted = [...reports].sort((a, b) => (a.vm_id < b.vm_id ? -1 : a.vm_id > b.vm_id ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

const BEAT_KEYS = new Set(['type', 'seq', 'digest', 'free_memory_mb', 'stats']);
const FREE_KEYS = new Set(['numa_node', 'free_memory_mb']);
const STAT_KEYS = new Set<string>(VM_STAT_KEYS);

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(o: Obj, allowed: ReadonlySet<string>): string | null {
  for (const k of Object.keys(o)) if (!allowed.has(k)) return k;
  return null;
}

function isCount(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function freeProblem(v: unknown): string | null {
  if (!Array.isArray(v) || v.length > 1024) return 'free_memory_mb must be a list of at most 1024';
  for (const f of v) {
    if (!isObj(f) || onlyKeys(f, FREE_KEYS) !== null) return 'free_memory_mb entry has unknown keys';
    if (!isCount(f.numa_node)) return 'free_memory_mb.numa_node must be a count';
    const mb = f.free_memory_mb;
    if (typeof mb !== 'number' || !Number.isFinite(mb) || mb < 0) return 'free_memory_mb must be ≥ 0';
  }
  return null;
}

function statsProblem(v: unknown): string | null {
  if (!isObj(v)) return 'stats must be an object';
  const ids = Object.keys(v);
  if (ids.length > MAX_STATS_VMS) return `stats carries more than ${MAX_STATS_VMS} VMs`;
  for (const id of ids) {
    if (id.length > 64) return 'stats key longer than 64';
    const s = v[id];
    if (!isObj(s)) return 'stats entry must be an object';
    for (const k of Object.keys(s)) {
      if (!STAT_KEYS.has(k)) return `stats key ${k.slice(0, 64)} unknown`;
      const n = s[k];
      if (n !== undefined && (typeof n !== 'number' || !Number.isFinite(n))) return 'stats must be numbers';
    }
  }
  return null;
}

/**
 * beatProblem checks a parsed message against BeatSchema (shared/protocol.ts) without zod, for the
 * hot path: null when it is a valid beat, else what is wrong. A property test holds the two alike.
 */
export function beatProblem(m: unknown): string | null {
  if (!isObj(m)) return 'beat must be an object';
  const extra = onlyKeys(m, BEAT_KEYS);
  if (extra !== null) return `beat has unknown key ${extra.slice(0, 64)}`;
  if (m.type !== 'beat') return 'type must be beat';
  if (!isCount(m.seq)) return 'seq must be a count';
  if (typeof m.digest !== 'string' || !DIGEST_RE.test(m.digest)) return 'digest must be sha256 hex';
  const free = freeProblem(m.free_memory_mb);
  if (free) return free;
  return m.stats === undefined ? null : statsProblem(m.stats);
}

/** asBeat narrows a message beatProblem passed. */
export function asBeat(m: unknown): Beat {
  return m as Beat;
}
