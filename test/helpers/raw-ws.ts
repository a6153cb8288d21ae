import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

/** FrameOptions shape one hand-built WebSocket frame, including ones no library would send. */
export interface FrameOptions {
  opcode?: number;
  fin?: boolean;
  mask?: boolean;
  /** claimedLength is the length written in the header (default: the payload's) */
  claimedLength?: number;
}

/** frame builds one WebSocket frame byte by byte (RFC 6455 §5.2), masked unless told otherwise. */
export function frame(payload: Buffer, o: FrameOptions = {}): Buffer {
  const len = o.claimedLength ?? payload.length;
  const mask = o.mask ?? true;
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | (o.opcode ?? 1)];
  const m = mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65_536) head.push(m | 126, len >> 8, len & 0xff);
  else {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(len));
    head.push(m | 127, ...b);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload.map((byte, i) => byte ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** RawResult is what the server did with one raw connection. */
export interface RawResult {
  /** status is the HTTP status of the upgrade answer */
  status: number;
  /** closeCode is the WebSocket close code the server sent, if any */
  closeCode: number | null;
  /** ended says the server closed the TCP connection before the deadline */
  ended: boolean;
}

/**
 * rawExchange upgrades a plain TCP connection on `url` with `authorization`, writes `bytes`
 * after the 101 and reports how the server answered within `ms`.
 */
export function rawExchange(
  url: string,
  authorization: string,
  bytes: Buffer[],
  ms = 3_000,
): Promise<RawResult> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = connect(Number(u.port), u.hostname);
    let buf = Buffer.alloc(0);
    let upgraded = false;
    const result: RawResult = { status: 0, closeCode: null, ended: false };
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(result);
    };
    const timer = setTimeout(done, ms);
    sock.on('error', () => undefined);
    sock.on('close', () => {
      result.ended = true;
      done();
    });
    sock.on('connect', () => {
      sock.write(
        `GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
          `Authorization: ${authorization}\r\n\r\n`,
      );
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        result.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buf.subarray(0, end).toString())?.[1] ?? 0);
        buf = buf.subarray(end + 4);
        if (result.status !== 101) return;
        upgraded = true;
        for (const b of bytes) sock.write(b);
      }
      readCloseCode(buf, result);
      if (result.closeCode !== null) done();
    });
  });
}

/** readCloseCode scans server frames (never masked) for a close frame and records its code. */
function readCloseCode(buf: Buffer, result: RawResult): void {
  let at = 0;
  while (at + 2 <= buf.length) {
    const opcode = buf[at]! & 0x0f;
    let len = buf[at + 1]! & 0x7f;
    let off = at + 2;
    if (len === 126) {
      if (off + 2 > buf.length) return;
      len = buf.readUInt16BE(off);
      off += 2;
    } else if (len === 127) {
      if (off + 8 > buf.length) return;
      len = Number(buf.readBigUInt64BE(off));
      off += 8;
    }
    if (off + len > buf.length) return;
    if (opcode === 8 && len >= 2) result.closeCode = buf.readUInt16BE(off);
    at = off + len;
  }
}
