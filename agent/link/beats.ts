import { vmsDigest } from '../../shared/beat.js';
import {
  type Beat,
  type Heartbeat,
  type Hello,
  MAX_STATS_VMS,
  PROTOCOL_VERSION,
  type VmReport,
} from '../../shared/protocol.js';

/** DEFAULT_STATS_EVERY_MS is how often a v2 link samples per-VM stats into a beat. */
export const DEFAULT_STATS_EVERY_MS = 10_000;

/** BeatInput is one beat's live figures: free memory per NUMA node, VM stats, a changed image list. */
export interface BeatInput {
  readonly free_memory_mb: Heartbeat['free_memory_mb'];
  readonly stats: Heartbeat['stats'];
  readonly images: string[] | undefined;
  /** image_info: base images' size, format and checksum, only when they changed */
  readonly image_info?: Heartbeat['image_info'];
}

/**
 * Beats decides what each heartbeat carries. On a version 2 link the full VM list goes out only when
 * it changed (or the coordinator asked for it); otherwise a small beat names it by digest. Stats are
 * sampled once per `statsEveryMs` and bounded to MAX_STATS_VMS VMs. On a version 1 link every beat is
 * a full heartbeat with stats, as before.
 */
export class Beats {
  /** offered is the version the hello offers: PROTOCOL_VERSION, or 1 after a coordinator refused it */
  private offered = PROTOCOL_VERSION;
  private wire = 1;
  private sentDigest: string | null = null;
  private resync = false;
  private statsAt = Number.NEGATIVE_INFINITY;
  private seq = 0;

  constructor(
    private readonly statsEveryMs = DEFAULT_STATS_EVERY_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** hello completes the opening message for a new connection: the offered version, the VMs and their digest. */
  hello(base: Omit<Hello, 'vms'>, vms: VmReport[]): Hello {
    const digest = vmsDigest(vms);
    this.wire = 1;
    this.resync = false;
    this.statsAt = Number.NEGATIVE_INFINITY;
    this.sentDigest = digest;
    return { ...base, v: this.offered, vms, ...(this.offered >= 2 ? { vms_digest: digest } : {}) };
  }

  /** welcomed records the version the coordinator agreed to. */
  welcomed(v: number): void {
    this.wire = Math.min(v, this.offered);
  }

  /** resyncAsked makes the next beat carry the full list. */
  resyncAsked(): void {
    this.resync = true;
  }

  /** refused falls back to version 1 after a version mismatch; false when already there. */
  refused(): boolean {
    if (this.offered <= 1) return false;
    this.offered = 1;
    return true;
  }

  /** next builds the next beat from the VM list read at send time. */
  next(vms: VmReport[], input: BeatInput): Heartbeat | Beat {
    const seq = ++this.seq;
    const { free_memory_mb, images, image_info } = input;
    const stats = this.sample(input.stats);
    const extra = {
      ...(stats ? { stats } : {}),
      ...(images ? { images } : {}),
      ...(image_info ? { image_info } : {}),
    };
    if (this.wire < 2) return { type: 'heartbeat', seq, free_memory_mb, vms, ...extra };
    const digest = vmsDigest(vms);
    // unchanged list: the small beat names it by digest (changed images go in a full one)
    if (digest === this.sentDigest && !this.resync && !images && !image_info)
      return { type: 'beat', seq, digest, free_memory_mb, ...(stats ? { stats } : {}) };
    this.resync = false;
    this.sentDigest = digest;
    return { type: 'heartbeat', seq, free_memory_mb, vms, digest, ...extra };
  }

  private sample(stats: Heartbeat['stats']): Heartbeat['stats'] {
    if (!stats) return undefined;
    if (this.wire >= 2) {
      const now = this.now();
      if (now - this.statsAt < this.statsEveryMs) return undefined;
      this.statsAt = now;
    }
    const ids = Object.keys(stats);
    if (ids.length <= MAX_STATS_VMS) return stats;
    return Object.fromEntries(ids.slice(0, MAX_STATS_VMS).map((id) => [id, stats[id]!]));
  }
}
