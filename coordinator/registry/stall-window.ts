const SIZE = 64; // sweeps remembered: 16 s at the 250 ms sweep of 1 s beats

/**
 * StallWindow remembers how late each recent sweep ran (how long the coordinator's own event loop
 * had not run: GC, CPU starvation, a long task) and answers the longest single stall since a given
 * sweep. A node's deadline moves by that, not by the sum: a loop that is steadily a little late
 * delays each beat by about that much, not by more each time, so a truly silent node is still
 * seen down about on time; one long stall moves it by the whole stall.
 */
export class StallWindow {
  private readonly late = new Array<number>(SIZE).fill(0);
  /** maxSince[a] is the longest stall among the newest a + 1 sweeps */
  private readonly maxSince = new Array<number>(SIZE).fill(0);
  private sweeps = 0;

  /** count is how many sweeps have been recorded (a node stores it when it is seen). */
  get count(): number {
    return this.sweeps;
  }

  /** record adds one sweep's lateness. */
  record(lateMs: number): void {
    this.late[this.sweeps % SIZE] = Math.max(0, lateMs);
    this.sweeps++;
    let m = 0;
    for (let a = 0; a < Math.min(this.sweeps, SIZE); a++) {
      m = Math.max(m, this.late[(this.sweeps - 1 - a) % SIZE]!);
      this.maxSince[a] = m;
    }
  }

  /** longestSince is the longest stall among the sweeps recorded after `count` was read. */
  longestSince(count: number): number {
    const n = this.sweeps - count;
    return n <= 0 ? 0 : this.maxSince[Math.min(n, SIZE) - 1]!;
  }
}
