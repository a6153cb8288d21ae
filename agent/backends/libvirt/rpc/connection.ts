import { connect, type Socket } from 'node:net';
import { VIR_ERR, VIR_FROM_RPC } from '../binding/constants.js';
import { LibvirtCallFailure } from '../binding/failure.js';
import { encodeFrame, type Frame, FrameSplitter, MSG_STATUS, MSG_TYPE } from './frame.js';
import { KEEPALIVE, type Program } from './programs.js';
import { readRemoteError } from './remoteError.js';
import { XdrError, type XdrReader } from './xdr.js';

interface Pending {
  readonly symbol: string;
  readonly done: (frame: Frame) => void;
  readonly fail: (err: LibvirtCallFailure) => void;
  readonly timer: NodeJS.Timeout;
}

const lost = (symbol: string, message: string) =>
  new LibvirtCallFailure(symbol, VIR_ERR.SYSTEM_ERROR, VIR_FROM_RPC, message);

/**
 * RpcConnection is one client socket to libvirtd: numbered calls with one reply each, libvirtd's
 * keepalive PINGs answered with PONGs, every call bounded by a timeout. When the socket closes or
 * sends a frame that cannot be trusted, every pending and later call fails as libvirt's own client
 * fails for a lost daemon (domain VIR_FROM_RPC), which the reconnecting client above acts on.
 */
export class RpcConnection {
  readonly #pending = new Map<number, Pending>();
  readonly #splitter = new FrameSplitter();
  #serial = 0;
  #closed: string | null = null;
  /** pingsAnswered counts keepalive PINGs answered (for tests and diagnostics). */
  pingsAnswered = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', (err) => this.#shutdown(`Cannot recv data: ${err.message}`));
    socket.on('close', () => this.#shutdown('End of file while reading data: Input/output error'));
  }

  /** open connects to the daemon's unix socket at path. */
  static open(path: string, timeoutMs: number): Promise<RpcConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      const fail = (message: string) => {
        socket.destroy();
        reject(lost('virConnectOpen', `Failed to connect socket to '${path}': ${message}`));
      };
      const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        fail(err.message);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RpcConnection(socket));
      });
    });
  }

  /** call sends one call and decodes its reply with decode; libvirtd's error reply rejects with its fields. */
  call<T>(
    prog: Program,
    proc: number,
    args: Uint8Array,
    call: { symbol: string; timeoutMs: number; decode: (r: XdrReader) => T },
  ): Promise<T> {
    const { symbol } = call;
    if (this.#closed !== null)
      return Promise.reject(
        new LibvirtCallFailure(
          symbol,
          VIR_ERR.INTERNAL_ERROR,
          VIR_FROM_RPC,
          'internal error: client socket is closed',
        ),
      );
    const serial = this.#nextSerial();
    const header = {
      prog: prog.id,
      vers: prog.version,
      proc,
      type: MSG_TYPE.CALL,
      serial,
      status: MSG_STATUS.OK,
    };
    let frame: Buffer;
    try {
      frame = encodeFrame(header, args);
    } catch (err) {
      return Promise.reject(
        new LibvirtCallFailure(symbol, VIR_ERR.RPC, 0, `cannot send: ${(err as Error).message}`),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(serial);
        const msg = `Timed out during operation: no reply from libvirtd within ${call.timeoutMs} ms`;
        reject(new LibvirtCallFailure(symbol, VIR_ERR.OPERATION_TIMEOUT, 0, msg));
      }, call.timeoutMs);
      const done = (reply: Frame) => {
        try {
          resolve(decodeReply(reply, symbol, call.decode));
        } catch (err) {
          reject(err);
        }
      };
      this.#pending.set(serial, { symbol, done, fail: reject, timer });
      this.socket.write(frame);
    });
  }

  /** close ends the socket; pending calls fail as for a lost connection. */
  close(): void {
    this.#shutdown('internal error: client socket is closed');
    this.socket.destroy();
  }

  /** closed tells whether the socket is gone. */
  get closed(): boolean {
    return this.#closed !== null;
  }

  #nextSerial(): number {
    this.#serial = (this.#serial + 1) >>> 0;
    return this.#serial;
  }

  #receive(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.#splitter.push(chunk);
    } catch (err) {
      this.#shutdown(`malformed message from libvirtd: ${(err as Error).message}`);
      this.socket.destroy();
      return;
    }
    for (const frame of frames) this.#dispatch(frame);
  }

  #dispatch(frame: Frame): void {
    const h = frame.header;
    if (h.type === MSG_TYPE.MESSAGE && h.prog === KEEPALIVE.id && h.proc === KEEPALIVE_PING) {
      const pong = {
        prog: KEEPALIVE.id,
        vers: KEEPALIVE.version,
        proc: KEEPALIVE_PONG,
        type: MSG_TYPE.MESSAGE,
        serial: 0,
        status: MSG_STATUS.OK,
      };
      this.socket.write(encodeFrame(pong, new Uint8Array(0)));
      this.pingsAnswered++;
      return;
    }
    if (h.type !== MSG_TYPE.REPLY) return; // events and streams: the agent registers for none
    const pending = this.#pending.get(h.serial);
    if (pending === undefined) return; // a reply that came after its call timed out
    this.#pending.delete(h.serial);
    clearTimeout(pending.timer);
    pending.done(frame);
  }

  #shutdown(reason: string): void {
    if (this.#closed !== null) return;
    this.#closed = reason;
    for (const [serial, p] of this.#pending) {
      this.#pending.delete(serial);
      clearTimeout(p.timer);
      p.fail(lost(p.symbol, reason));
    }
  }
}

const KEEPALIVE_PING = 1;
const KEEPALIVE_PONG = 2;

// A reply is OK (decode the ret struct; it must be read whole) or ERROR (a remote_error).
function decodeReply<T>(frame: Frame, symbol: string, decode: (r: XdrReader) => T): T {
  try {
    if (frame.header.status === MSG_STATUS.ERROR) throw readRemoteError(frame.body, symbol);
    if (frame.header.status !== MSG_STATUS.OK) throw new XdrError(`unexpected status ${frame.header.status}`);
    const value = decode(frame.body);
    if (frame.body.remaining !== 0) throw new XdrError(`${frame.body.remaining} bytes left after the reply`);
    return value;
  } catch (err) {
    if (!(err instanceof XdrError)) throw err;
    throw new LibvirtCallFailure(symbol, VIR_ERR.RPC, 0, `malformed reply from libvirtd: ${err.message}`);
  }
}
