import { XdrError, XdrReader, XdrWriter } from './xdr.js';

// libvirt's RPC framing (src/rpc/virnetprotocol.x): a u32 length that counts itself, a 24-byte header
// {prog, vers, proc, type, serial, status}, then the XDR body of the call, reply or message.

/** MESSAGE_MAX is VIR_NET_MESSAGE_MAX (header + body); the length word comes on top. */
export const MESSAGE_MAX = 16_777_216;
const LEN_BYTES = 4;
const HEADER_BYTES = 24;

/** MSG_TYPE is virNetMessageType. */
export const MSG_TYPE = {
  CALL: 0,
  REPLY: 1,
  MESSAGE: 2,
  STREAM: 3,
  CALL_WITH_FDS: 4,
  REPLY_WITH_FDS: 5,
} as const;
/** MSG_STATUS is virNetMessageStatus. */
export const MSG_STATUS = { OK: 0, ERROR: 1, CONTINUE: 2 } as const;

/** Header is virNetMessageHeader. */
export interface Header {
  readonly prog: number;
  readonly vers: number;
  readonly proc: number;
  readonly type: number;
  readonly serial: number;
  readonly status: number;
}

/** Frame is one received message: its header and a reader positioned at its body. */
export interface Frame {
  readonly header: Header;
  readonly body: XdrReader;
}

/** encodeFrame builds one message: length word, header, body. */
export function encodeFrame(h: Header, body: Uint8Array): Buffer {
  const total = LEN_BYTES + HEADER_BYTES + body.length;
  if (total - LEN_BYTES > MESSAGE_MAX) throw new XdrError(`message of ${total} bytes is too long`);
  const w = new XdrWriter().uint(total).uint(h.prog).uint(h.vers).int(h.proc).int(h.type);
  w.uint(h.serial).int(h.status);
  return Buffer.concat([w.bytes(), body]);
}

function decodeFrame(msg: Buffer): Frame {
  const r = new XdrReader(msg, LEN_BYTES);
  const header = {
    prog: r.uint(),
    vers: r.uint(),
    proc: r.int(),
    type: r.int(),
    serial: r.uint(),
    status: r.int(),
  };
  return { header, body: r };
}

/**
 * FrameSplitter turns a byte stream into whole frames. A length outside [28, MESSAGE_MAX + 4] means
 * the stream can no longer be trusted: push throws, and the caller drops the connection.
 */
export class FrameSplitter {
  #chunks: Buffer[] = [];
  #buffered = 0;

  /** push adds received bytes and returns every frame they complete. */
  push(chunk: Buffer): Frame[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.#buffered < LEN_BYTES) return frames;
      const head = this.#peek(LEN_BYTES);
      const len = head.readUInt32BE(0);
      if (len < LEN_BYTES + HEADER_BYTES || len > MESSAGE_MAX + LEN_BYTES)
        throw new XdrError(`bad message length ${len}`);
      if (this.#buffered < len) return frames;
      frames.push(decodeFrame(this.#take(len)));
    }
  }

  #peek(n: number): Buffer {
    if ((this.#chunks[0]?.length ?? 0) < n) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0] as Buffer;
  }

  #take(n: number): Buffer {
    const all = this.#peek(n);
    const msg = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest, ...this.#chunks.slice(1)] : this.#chunks.slice(1);
    this.#buffered -= n;
    return msg;
  }
}
