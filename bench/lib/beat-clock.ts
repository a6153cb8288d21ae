// One timer for all the simulated agents of a process: a wheel of 10 ms slots. Thousands of
// per-agent setIntervals cost a timer callback each and drift apart under load; the wheel fires
// every due agent of a slot in one callback and catches up on the slots a late tick skipped.

/** Beater is what the clock drives: when it is next due and how often it beats. */
export interface Beater {
  dueAt: number;
  everyMs: number;
}

const SLOT_MS = 10;
const SLOTS = 1024; // a 10.24 s horizon; a later beat waits in its slot for another turn

/** BeatClock calls `beat(item, now)` for each item when it is due, then again every `everyMs`. */
export class BeatClock<T extends Beater> {
  private readonly slots: T[][] = Array.from({ length: SLOTS }, () => []);
  private done = Math.floor(Date.now() / SLOT_MS);
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** beat returns false when the item is done beating (dropped from the clock). */
  constructor(private readonly beat: (item: T, now: number) => boolean) {}

  /** add puts an item on the clock at its dueAt. */
  add(item: T): void {
    this.slotOf(item.dueAt).push(item);
    if (!this.timer && !this.stopped) this.arm();
  }

  /** stop ends the clock. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private slotOf(at: number): T[] {
    return this.slots[Math.floor(at / SLOT_MS) % SLOTS]!;
  }

  private arm(): void {
    this.timer = setTimeout(() => this.tick(), SLOT_MS);
  }

  private tick(): void {
    const now = Date.now();
    // only slots wholly past: every item in one is due (an item is at most one slot late)
    const upTo = Math.floor(now / SLOT_MS) - 1;
    // a tick late by more than a turn of the wheel visits each slot once
    for (let s = Math.max(this.done + 1, upTo - SLOTS + 1); s <= upTo; s++) this.fire(s % SLOTS, now);
    this.done = upTo;
    if (!this.stopped) this.arm();
  }

  private fire(index: number, now: number): void {
    const items = this.slots[index]!;
    if (items.length === 0) return;
    this.slots[index] = [];
    for (const item of items) {
      if (item.dueAt > now) {
        this.slotOf(item.dueAt).push(item); // due on a later turn of the wheel
        continue;
      }
      if (!this.beat(item, now)) continue;
      // keep the phase; an item more than an interval behind skips the beats it missed
      item.dueAt += item.everyMs;
      if (item.dueAt <= now) item.dueAt = now + item.everyMs;
      this.slotOf(item.dueAt).push(item);
    }
  }
}
