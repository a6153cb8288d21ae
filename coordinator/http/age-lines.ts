const DOT = 0x2e;
const ZERO = 0x30;
const NEWLINE = 0x0a;
/** a whole number of milliseconds below this is written by hand (exact, see writeSeconds) */
const HAND_WRITTEN_MS = 2 ** 31;

/**
 * AgeLines writes the heartbeat-age family's lines (`<prefix><seconds>\n`) into one buffer kept from
 * scrape to scrape, so a scrape at 10,000 nodes builds no string per node and encodes nothing twice.
 */
export class AgeLines {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private at = 0;

  /** reset starts a new scrape's lines. */
  reset(): void {
    this.at = 0;
  }

  /** add appends one line: the pre-encoded prefix, then `ms` as seconds exactly as String(ms / 1000) has it. */
  add(prefix: Uint8Array, ms: number): void {
    this.room(prefix.length + 32);
    this.buf.set(prefix, this.at);
    this.at += prefix.length;
    this.at = writeSeconds(this.buf, this.at, ms);
    this.buf[this.at++] = NEWLINE;
  }

  /** bytes are the lines so far (a view, valid until the next reset). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.at);
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }
}

/**
 * writeSeconds writes ms / 1000 at `at` and returns the end. A whole number of milliseconds in
 * [0, 2^31) is written by hand as its decimal, trailing zeros of the fraction dropped: that is what
 * String(ms / 1000) gives, since no shorter decimal lies within one unit in the last place of a
 * double that small (its ulp is under 1e-6, three decimals are 1e-3 apart). Anything else goes
 * through String().
 */
export function writeSeconds(buf: Buffer, at: number, ms: number): number {
  if (!(Number.isInteger(ms) && ms >= 0 && ms < HAND_WRITTEN_MS))
    return at + buf.write(String(ms / 1000), at, 'latin1');
  let end = writeInt(buf, at, Math.floor(ms / 1000));
  let frac = ms % 1000;
  if (frac === 0) return end;
  buf[end++] = DOT;
  let digits = 3;
  while (frac % 10 === 0) {
    frac /= 10;
    digits--;
  }
  for (let i = digits - 1; i >= 0; i--) {
    buf[end + i] = ZERO + (frac % 10);
    frac = Math.floor(frac / 10);
  }
  return end + digits;
}

function writeInt(buf: Buffer, at: number, n: number): number {
  let len = 1;
  for (let v = n; v >= 10; v = Math.floor(v / 10)) len++;
  for (let i = at + len - 1; i >= at; i--) {
    buf[i] = ZERO + (n % 10);
    n = Math.floor(n / 10);
  }
  return at + len;
}
