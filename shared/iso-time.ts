/**
 * IsoClock renders epoch milliseconds as ISO 8601 text, keeping the last millisecond's text: a
 * busy coordinator stamps several events and log lines in the same millisecond, and each
 * `new Date(ms).toISOString()` is an allocation and a calendar conversion.
 */
export class IsoClock {
  private lastMs = Number.NaN;
  private lastText = '';

  /** iso is `new Date(ms).toISOString()`, from the cache when `ms` is the last one asked. */
  iso(ms: number): string {
    if (ms !== this.lastMs) {
      this.lastText = new Date(ms).toISOString();
      this.lastMs = ms;
    }
    return this.lastText;
  }
}
