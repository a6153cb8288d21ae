// XDR (RFC 4506) for the subset libvirt's RPC protocol uses: 32-bit ints, 64-bit hypers, strings,
// opaque data, optional pointers and counted arrays. A small reader/writer of our own: npm's XDR
// packages are schema compilers for other protocols and would add more than these ~130 lines.

/** XdrError is a malformed or truncated XDR body: an error for the one message that carried it. */
export class XdrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XdrError';
  }
}

/** XDR_STRING_MAX is VIR_NET_MESSAGE_STRING_MAX: no string libvirt sends is longer. */
export const XDR_STRING_MAX = 4_194_304;

const pad = (n: number): number => (4 - (n % 4)) % 4;

/** XdrWriter appends XDR values to a growing buffer. */
export class XdrWriter {
  #buf = Buffer.allocUnsafe(256);
  #len = 0;

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#len + n));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  /** int writes a signed 32-bit integer. */
  int(v: number): this {
    this.#reserve(4);
    this.#buf.writeInt32BE(v, this.#len);
    this.#len += 4;
    return this;
  }

  /** uint writes an unsigned 32-bit integer. */
  uint(v: number): this {
    this.#reserve(4);
    this.#buf.writeUInt32BE(v >>> 0, this.#len);
    this.#len += 4;
    return this;
  }

  /** opaque writes variable-length opaque data (length, bytes, padding). */
  opaque(data: Uint8Array): this {
    this.uint(data.length);
    return this.fixed(data);
  }

  /** fixed writes fixed-length opaque data (bytes and padding, no length). */
  fixed(data: Uint8Array): this {
    const n = data.length + pad(data.length);
    this.#reserve(n);
    this.#buf.set(data, this.#len);
    this.#buf.fill(0, this.#len + data.length, this.#len + n);
    this.#len += n;
    return this;
  }

  /** string writes a UTF-8 string; longer than XDR_STRING_MAX bytes is refused. */
  string(s: string): this {
    const bytes = Buffer.from(s, 'utf8');
    if (bytes.length > XDR_STRING_MAX) throw new XdrError(`string of ${bytes.length} bytes is too long`);
    return this.opaque(bytes);
  }

  /** optString writes an optional string (libvirt's remote_string): a presence flag, then the string. */
  optString(s: string | null): this {
    if (s === null) return this.uint(0);
    return this.uint(1).string(s);
  }

  /** bytes returns what was written. */
  bytes(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }
}

/** XdrReader reads XDR values from one message body; every read is bounds-checked. */
export class XdrReader {
  #pos: number;

  constructor(
    private readonly buf: Buffer,
    offset = 0,
  ) {
    this.#pos = offset;
  }

  #take(n: number): number {
    if (n < 0 || this.#pos + n > this.buf.length)
      throw new XdrError(`truncated: wanted ${n} bytes at ${this.#pos} of ${this.buf.length}`);
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  /** int reads a signed 32-bit integer. */
  int(): number {
    return this.buf.readInt32BE(this.#take(4));
  }

  /** uint reads an unsigned 32-bit integer. */
  uint(): number {
    return this.buf.readUInt32BE(this.#take(4));
  }

  /** hyper reads a signed 64-bit integer as a number (exact below 2^53). */
  hyper(): number {
    return Number(this.buf.readBigInt64BE(this.#take(8)));
  }

  /** uhyper reads an unsigned 64-bit integer as a number (exact below 2^53). */
  uhyper(): number {
    return Number(this.buf.readBigUInt64BE(this.#take(8)));
  }

  /** double reads an IEEE 754 double. */
  double(): number {
    return this.buf.readDoubleBE(this.#take(8));
  }

  /** bool reads an XDR bool (0 or 1). */
  bool(): boolean {
    const v = this.uint();
    if (v > 1) throw new XdrError(`bad bool ${v}`);
    return v === 1;
  }

  /** fixed reads n bytes of fixed-length opaque data (and its padding). */
  fixed(n: number): Buffer {
    const at = this.#take(n + pad(n));
    return this.buf.subarray(at, at + n);
  }

  /** opaque reads variable-length opaque data of at most max bytes. */
  opaque(max: number): Buffer {
    const n = this.uint();
    if (n > max) throw new XdrError(`opaque of ${n} bytes exceeds ${max}`);
    return this.fixed(n);
  }

  /** string reads a UTF-8 string of at most XDR_STRING_MAX bytes. */
  string(): string {
    return this.opaque(XDR_STRING_MAX).toString('utf8');
  }

  /** optString reads an optional string (libvirt's remote_string). */
  optString(): string | null {
    return this.bool() ? this.string() : null;
  }

  /** array reads a counted array of at most max items; each item is at least minBytes long. */
  array<T>(max: number, minBytes: number, item: (r: XdrReader) => T): T[] {
    const n = this.uint();
    if (n > max || n * minBytes > this.remaining) throw new XdrError(`array of ${n} items is too long`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }

  /** remaining counts the bytes not read yet. */
  get remaining(): number {
    return this.buf.length - this.#pos;
  }
}
