// The small beat's fast path: at 10,000 agents a coordinator reads 10,000 beats a second, and
// JSON.parse of a beat's stats (an object keyed by VM ids, unique per host) makes V8 build a hidden
// class per key per parse (the root map's transitions overflow at 1,536), ~4 KB that outlive the
// young generation per stats beat: most of what every scavenge copied. The scanner reads the
// canonical beat an agent sends (JSON.stringify of a Beat, keys in its order, no whitespace, ASCII)
// straight from the frame's bytes into reusable buffers. It only ever accepts: anything else
// (another key order, escapes, an unknown key, a bad value) returns null, and the caller takes the
// general path (JSON.parse and beatProblem), which accepts or refuses it exactly as before.
import { MAX_STATS_VMS, VM_STAT_KEYS } from '../../shared/protocol.js';
import type { StatsRows } from '../registry/vm-stats.js';
import { ByteReader } from './byte-reader.js';

/** ScannedBeat is a small beat read by BeatScanner; it and its rows are reused by the next scan. */
export interface ScannedBeat {
  readonly type: 'beat';
  seq: number;
  digest: string;
  /** rows are the sampled per-VM figures; null when the beat carries none */
  rows: StatsRows | null;
}

const WIDTH = VM_STAT_KEYS.length;
const MAX_FREE = 1024;
const MAX_ID = 64;
/** FAST_ROWS: a beat naming more VMs takes the general path (the duplicate check here is quadratic) */
const FAST_ROWS = Math.min(128, MAX_STATS_VMS);
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const PREFIX = bytes('{"type":"beat","seq":');
const DIGEST_KEY = bytes(',"digest":"');
const FREE_KEY = bytes('","free_memory_mb":[');
const NUMA_KEY = bytes('{"numa_node":');
const MB_KEY = bytes(',"free_memory_mb":');
const STATS_KEY = bytes(',"stats":{');
const STAT_KEYS = VM_STAT_KEYS.map((k) => bytes(`"${k}":`));
const [COMMA, COLON, QUOTE, OPEN, CLOSE, CLOSE_LIST] = [0x2c, 0x3a, 0x22, 0x7b, 0x7d, 0x5d];

/**
 * BeatScanner reads canonical small beats without JSON.parse. One scanner serves every socket of a
 * link server (messages are handled one at a time); the returned beat is valid until the next scan.
 */
export class BeatScanner implements StatsRows {
  private readonly r = new ByteReader();
  /** spans: each row's VM id as [start, end) in the scanned bytes */
  private spans = new Int32Array(32);
  private values = new Float64Array(16 * WIDTH);
  private rowCount = 0;
  private readonly out: ScannedBeat = { type: 'beat', seq: 0, digest: '', rows: null };

  /** scan returns the beat in `buf`, or null when it is not a canonical valid beat (use the general path). */
  scan(buf: Buffer): ScannedBeat | null {
    this.r.reset(buf);
    this.rowCount = 0;
    const ok = this.beat();
    return ok ? this.out : null;
  }

  /** count is how many VMs the last scanned beat's stats name (StatsRows). */
  get count(): number {
    return this.rowCount;
  }

  /** sameId says whether row i's VM id is `id`, without building a string (StatsRows). */
  sameId(i: number, id: string): boolean {
    return this.r.equals(this.spans[2 * i]!, this.spans[2 * i + 1]!, id);
  }

  /** id builds row i's VM id (StatsRows; only when a node's VM set changed). */
  id(i: number): string {
    return this.r.latin1(this.spans[2 * i]!, this.spans[2 * i + 1]!);
  }

  /** value is row i's figure for VM_STAT_KEYS[k], NaN when absent (StatsRows). */
  value(i: number, k: number): number {
    return this.values[i * WIDTH + k]!;
  }

  private beat(): boolean {
    const r = this.r;
    if (!r.literal(PREFIX) || !r.count()) return false;
    this.out.seq = r.num;
    if (!r.literal(DIGEST_KEY)) return false;
    const at = r.pos;
    if (!r.hex(64)) return false;
    this.out.digest = r.latin1(at, at + 64);
    if (!r.literal(FREE_KEY) || !this.free()) return false;
    this.out.rows = null;
    if (r.literal(STATS_KEY)) {
      if (!this.stats()) return false;
      this.out.rows = this;
    }
    return r.byte(CLOSE) && r.atEnd();
  }

  /** free checks the free-memory list (after its `[`): validated, not kept (the registry reads none). */
  private free(): boolean {
    const r = this.r;
    if (r.byte(CLOSE_LIST)) return true;
    for (let n = 1; n <= MAX_FREE; n++) {
      if (!r.literal(NUMA_KEY) || !r.count() || !r.literal(MB_KEY) || !r.number()) return false;
      if (!(r.num >= 0) || !r.byte(CLOSE)) return false;
      if (r.byte(CLOSE_LIST)) return true;
      if (!r.byte(COMMA)) return false;
    }
    return false;
  }

  /** stats reads the per-VM figures (after the stats object's `{`) into the rows. */
  private stats(): boolean {
    const r = this.r;
    if (r.byte(CLOSE)) return true;
    while (this.rowCount < FAST_ROWS) {
      const i = this.rowCount;
      this.grow(i + 1);
      const start = r.pos + 1;
      if (!r.byte(QUOTE) || !r.plainString(MAX_ID) || r.allDigits(start, r.pos - 1)) return false;
      this.spans[2 * i] = start;
      this.spans[2 * i + 1] = r.pos - 1;
      if (this.seenBefore(i) || !r.byte(COLON) || !r.byte(OPEN) || !this.figures(i)) return false;
      this.rowCount++;
      if (r.byte(CLOSE)) return true;
      if (!r.byte(COMMA)) return false;
    }
    return false;
  }

  /** figures reads one VM's `{key: number, …}` (after its `{`) into row i; each key at most once. */
  private figures(i: number): boolean {
    const r = this.r;
    const row = i * WIDTH;
    for (let k = 0; k < WIDTH; k++) this.values[row + k] = Number.NaN;
    if (r.byte(CLOSE)) return true;
    let seen = 0;
    for (;;) {
      let k = 0;
      while (k < WIDTH && !r.literal(STAT_KEYS[k]!)) k++; // no closure per figure
      if (k === WIDTH || seen & (1 << k) || !r.number()) return false;
      seen |= 1 << k;
      this.values[row + k] = r.num;
      if (r.byte(CLOSE)) return true;
      if (!r.byte(COMMA)) return false;
    }
  }

  /** seenBefore: row i's id repeats an earlier one (JSON.parse would keep the last; leave it to it). */
  private seenBefore(i: number): boolean {
    const [s, e] = [this.spans[2 * i]!, this.spans[2 * i + 1]!];
    for (let j = 0; j < i; j++)
      if (this.r.sameBytes(this.spans[2 * j]!, this.spans[2 * j + 1]!, s, e)) return true;
    return false;
  }

  private grow(rows: number): void {
    if (this.spans.length >= 2 * rows) return;
    const spans = new Int32Array(this.spans.length * 2);
    spans.set(this.spans);
    this.spans = spans;
    const values = new Float64Array(this.values.length * 2);
    values.set(this.values);
    this.values = values;
  }
}
