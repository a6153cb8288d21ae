import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LibvirtCallFailure } from '../binding/failure.js';
import { RpcConnection } from './connection.js';
import { encodeFrame, type Frame, FrameSplitter, MSG_STATUS, MSG_TYPE } from './frame.js';
import { AUTH, KEEPALIVE, PROC, REMOTE } from './programs.js';
import { openSession, type RpcSession } from './session.js';
import { XdrWriter } from './xdr.js';

// A stand-in libvirtd on a unix socket in a temp dir (no libvirt): it answers each call with what the
// test scripts, so the client's handling of odd or hostile replies can be checked. The real daemon is
// covered by rpc.libvirt.test.ts.
type Answer = (frame: Frame, sock: Socket) => void;

let dir: string;
let server: Server;
let path: string;
let answer: Answer;
let received: Frame[];
const conns: RpcConnection[] = [];

function reply(sock: Socket, f: Frame, body: Uint8Array, status: number = MSG_STATUS.OK): void {
  sock.write(encodeFrame({ ...f.header, type: MSG_TYPE.REPLY, status }, body));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmpool-rpc-'));
  path = join(dir, 'sock');
  received = [];
  answer = () => {};
  server = createServer((sock) => {
    const splitter = new FrameSplitter();
    sock.on('data', (chunk) => {
      for (const f of splitter.push(chunk)) {
        received.push(f);
        answer(f, sock);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
});

afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function open(): Promise<RpcConnection> {
  const c = await RpcConnection.open(path, 2_000);
  conns.push(c);
  return c;
}

const readString = { symbol: 'virTest', timeoutMs: 1_000, decode: (r: { string(): string }) => r.string() };

describe('RpcConnection', () => {
  it('answers a keepalive PING with a PONG', async () => {
    server.removeAllListeners('connection');
    server.on('connection', (sock) => {
      const splitter = new FrameSplitter();
      sock.on('data', (chunk) => received.push(...splitter.push(chunk)));
      const ping = { prog: KEEPALIVE.id, vers: 1, proc: 1, type: MSG_TYPE.MESSAGE, serial: 0, status: 0 };
      sock.write(encodeFrame(ping, new Uint8Array(0)));
    });
    const c = await open();
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]?.header).toMatchObject({ prog: KEEPALIVE.id, proc: 2, type: MSG_TYPE.MESSAGE });
    expect(c.pingsAnswered).toBe(1);
  });

  it('a truncated or overlong reply fails that call only; the next call on the socket works', async () => {
    let n = 0;
    answer = (f, sock) => {
      n++;
      if (n === 1)
        reply(sock, f, new XdrWriter().uint(40).bytes()); // string length 40, no bytes
      else if (n === 2)
        reply(sock, f, new XdrWriter().string('ok').uint(7).bytes()); // 4 bytes too many
      else reply(sock, f, new XdrWriter().string('fine').bytes());
    };
    const c = await open();
    const first = await c.call(REMOTE, 7, new Uint8Array(0), readString).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(LibvirtCallFailure);
    expect(first).toMatchObject({ libvirtCode: 39, domain: 0, symbol: 'virTest' });
    expect((first as Error).message).toMatch(/^malformed reply from libvirtd: truncated/);
    await expect(c.call(REMOTE, 7, new Uint8Array(0), readString)).rejects.toThrow(/4 bytes left/);
    await expect(c.call(REMOTE, 7, new Uint8Array(0), readString)).resolves.toBe('fine');
  });

  it("an error reply carries libvirtd's code, domain and message", async () => {
    answer = (f, sock) => {
      const err = new XdrWriter()
        .int(42)
        .int(10)
        .optString("Domain not found: no domain with matching name 'x'");
      err.int(2).uint(0).optString('x').optString(null).optString(null).int(0).int(0).uint(0);
      reply(sock, f, err.bytes(), MSG_STATUS.ERROR);
    };
    const c = await open();
    const err = await c.call(REMOTE, 23, new Uint8Array(0), readString).catch((e: unknown) => e);
    expect(err).toMatchObject({ libvirtCode: 42, domain: 10, symbol: 'virTest' });
    expect((err as Error).message).toBe("Domain not found: no domain with matching name 'x'");
  });

  it('a frame with a bad length drops the connection: pending and later calls fail as a lost daemon', async () => {
    answer = (_f, sock) => sock.write(new XdrWriter().uint(3).uint(0).bytes());
    const c = await open();
    const err = await c.call(REMOTE, 7, new Uint8Array(0), readString).catch((e: unknown) => e);
    expect(err).toMatchObject({ libvirtCode: 38, domain: 7 });
    expect((err as Error).message).toMatch(/malformed message from libvirtd: bad message length 3/);
    expect(c.closed).toBe(true);
    await expect(c.call(REMOTE, 7, new Uint8Array(0), readString)).rejects.toMatchObject({
      domain: 7,
      message: 'internal error: client socket is closed',
    });
  });

  it('a call with no reply times out (not as a lost connection), and its late reply is dropped', async () => {
    let n = 0;
    answer = (f, sock) => {
      n++;
      const late = n === 1;
      setTimeout(
        () => reply(sock, f, new XdrWriter().string(late ? 'late' : 'second').bytes()),
        late ? 150 : 0,
      );
    };
    const c = await open();
    const err = await c
      .call(REMOTE, 7, new Uint8Array(0), { ...readString, timeoutMs: 50 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ libvirtCode: 68, domain: 0 });
    await new Promise((r) => setTimeout(r, 150));
    await expect(c.call(REMOTE, 7, new Uint8Array(0), readString)).resolves.toBe('second');
  });

  it('the daemon closing the socket fails the pending call with End of file (domain VIR_FROM_RPC)', async () => {
    answer = (_f, sock) => sock.destroy();
    const c = await open();
    await expect(c.call(REMOTE, 7, new Uint8Array(0), readString)).rejects.toMatchObject({
      libvirtCode: 38,
      domain: 7,
      message: 'End of file while reading data: Input/output error',
    });
  });

  it('a socket that does not exist fails the open with its path', async () => {
    await expect(RpcConnection.open(join(dir, 'nope'), 1_000)).rejects.toMatchObject({
      symbol: 'virConnectOpen',
      domain: 7,
      message: expect.stringContaining(`Failed to connect socket to '${join(dir, 'nope')}'`),
    });
  });
});

describe('openSession', () => {
  const session = (sockets: string[]): RpcSession => ({
    target: { sockets, name: 'test:///default' },
    timeoutMs: 1_000,
    keepalive: false,
    conn: null,
  });

  it('names every socket it looked for when none exists', async () => {
    await expect(openSession(session(['/nonexistent/a-sock', '/nonexistent/b-sock']))).rejects.toThrow(
      'Failed to connect socket: none of /nonexistent/a-sock, /nonexistent/b-sock exists (is libvirtd running?)',
    );
  });

  it('passes polkit, then opens the daemon-side URI', async () => {
    answer = (f, sock) => {
      if (f.header.proc === PROC.AUTH_LIST) reply(sock, f, new XdrWriter().uint(1).int(AUTH.POLKIT).bytes());
      else if (f.header.proc === PROC.AUTH_POLKIT) reply(sock, f, new XdrWriter().int(1).bytes());
      else reply(sock, f, new Uint8Array(0));
    };
    const s = session([path]);
    await openSession(s);
    conns.push(s.conn as RpcConnection);
    expect(received.map((f) => f.header.proc)).toEqual([PROC.AUTH_LIST, PROC.AUTH_POLKIT, PROC.CONNECT_OPEN]);
    const open = received[2]?.body;
    expect([open?.optString(), open?.uint()]).toEqual(['test:///default', 0]);
  });

  it('refuses a daemon that offers only SASL, and closes the socket', async () => {
    answer = (f, sock) => reply(sock, f, new XdrWriter().uint(1).int(AUTH.SASL).bytes());
    const s = session([path]);
    await expect(openSession(s)).rejects.toMatchObject({
      libvirtCode: 45,
      message: expect.stringMatching(/only SASL/),
    });
    expect(s.conn).toBeNull();
  });
});
