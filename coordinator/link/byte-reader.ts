// A cursor over one message's bytes for BeatScanner: strict JSON pieces (no whitespace, no escapes,
// ASCII only), each returning false instead of throwing, so the scanner can hand the message to
// JSON.parse whenever it is not the canonical form.

const ZERO = 0x30;
const NINE = 0x39;
const [MINUS, PLUS, DOT, QUOTE, BACKSLASH] = [0x2d, 0x2b, 0x2e, 0x22, 0x5c];
const EMPTY = Buffer.alloc(0);

const isDigit = (c: number | undefined) => c !== undefined && c >= ZERO && c <= NINE;

/** ByteReader reads JSON pieces from a Buffer at `pos`; `num` holds the last number read. */
export class ByteReader {
  private b: Buffer = EMPTY;
  /** pos is the next byte to read */
  pos = 0;
  /** num is the value of the last count() or number() */
  num = 0;

  /** reset starts reading `buf` from its first byte. */
  reset(buf: Buffer): void {
    this.b = buf;
    this.pos = 0;
  }

  /** atEnd says every byte was read. */
  atEnd(): boolean {
    return this.pos === this.b.length;
  }

  /** byte consumes `c` if it is next. */
  byte(c: number): boolean {
    if (this.b[this.pos] !== c) return false;
    this.pos++;
    return true;
  }

  /** literal consumes `lit` if it comes next. */
  literal(lit: Uint8Array): boolean {
    const { b, pos } = this;
    if (pos + lit.length > b.length) return false;
    for (let i = 0; i < lit.length; i++) if (b[pos + i] !== lit[i]) return false;
    this.pos += lit.length;
    return true;
  }

  /** hex consumes exactly `n` lowercase hex digits. */
  hex(n: number): boolean {
    const { b, pos } = this;
    if (pos + n > b.length) return false;
    for (let i = pos; i < pos + n; i++) {
      const c = b[i]!;
      if (!((c >= ZERO && c <= NINE) || (c >= 0x61 && c <= 0x66))) return false;
    }
    this.pos += n;
    return true;
  }

  /** plainString consumes a string's body and closing quote: printable ASCII, no escapes, ≤ max chars. */
  plainString(max: number): boolean {
    const { b } = this;
    const end = Math.min(b.length, this.pos + max + 1);
    for (let i = this.pos; i < end; i++) {
      const c = b[i]!;
      if (c === QUOTE) {
        this.pos = i + 1;
        return true;
      }
      if (c < 0x20 || c > 0x7e || c === BACKSLASH) return false;
    }
    return false;
  }

  /** count consumes a non-negative integer written as plain digits, at most MAX_SAFE_INTEGER. */
  count(): boolean {
    const { b } = this;
    let p = this.pos;
    if (!isDigit(b[p])) return false;
    let v = b[p++]! - ZERO;
    if (v !== 0) while (isDigit(b[p])) v = v * 10 + (b[p++]! - ZERO);
    if (v > Number.MAX_SAFE_INTEGER || b[p] === DOT || b[p] === 0x65 || b[p] === 0x45) return false;
    this.num = v;
    this.pos = p;
    return true;
  }

  /** number consumes a JSON number with a finite value; exact digits are summed, others read by Number(). */
  number(): boolean {
    const { b } = this;
    const start = this.pos;
    let p = start;
    const neg = b[p] === MINUS;
    if (neg) p++;
    if (!isDigit(b[p])) return false;
    let v = b[p++]! - ZERO;
    if (v !== 0) while (isDigit(b[p])) v = v * 10 + (b[p++]! - ZERO);
    let exact = v <= Number.MAX_SAFE_INTEGER;
    if (b[p] === DOT) {
      exact = false;
      if (!isDigit(b[++p])) return false;
      while (isDigit(b[p])) p++;
    }
    if (b[p] === 0x65 || b[p] === 0x45) {
      exact = false;
      p++;
      if (b[p] === PLUS || b[p] === MINUS) p++;
      if (!isDigit(b[p])) return false;
      while (isDigit(b[p])) p++;
    }
    const value = exact ? (neg ? -v : v) : Number(b.toString('latin1', start, p));
    if (!Number.isFinite(value)) return false;
    this.num = value;
    this.pos = p;
    return true;
  }

  /** allDigits says bytes [start, end) are all digits (an index-like key JSON.parse would reorder). */
  allDigits(start: number, end: number): boolean {
    if (start === end) return false;
    for (let i = start; i < end; i++) if (!isDigit(this.b[i])) return false;
    return true;
  }

  /** equals compares bytes [start, end) with an ASCII string, building nothing. */
  equals(start: number, end: number, s: string): boolean {
    if (end - start !== s.length) return false;
    for (let i = 0; i < s.length; i++) if (this.b[start + i] !== s.charCodeAt(i)) return false;
    return true;
  }

  /** sameBytes compares two ranges of the message. */
  sameBytes(s1: number, e1: number, s2: number, e2: number): boolean {
    if (e1 - s1 !== e2 - s2) return false;
    for (let i = 0; i < e1 - s1; i++) if (this.b[s1 + i] !== this.b[s2 + i]) return false;
    return true;
  }

  /** latin1 builds the string of bytes [start, end) (ASCII here). */
  latin1(start: number, end: number): string {
    return this.b.toString('latin1', start, end);
  }
}
