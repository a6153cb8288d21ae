import { createServer } from 'node:net';

/** freeLoopbackPort asks the kernel for a free 127.0.0.1 TCP port, skipping ports other VMs hold. */
export async function freeLoopbackPort(taken: ReadonlySet<number>, attempts = 20): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
      });
    });
    if (port > 0 && !taken.has(port)) return port;
  }
  throw new Error('Cannot find a free 127.0.0.1 port for the SSH forward');
}
