import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { releaseWsFragments } from './ws-fragments.js';

class FakeReceiver {
  _fragments: unknown[] = [];
  fin = true;
  dataMessage(): unknown[] {
    const fragments = this._fragments;
    if (this.fin) this._fragments = [];
    return fragments;
  }
}

describe('releaseWsFragments', () => {
  it('empties a delivered message fragment list, not one still being filled', () => {
    expect(releaseWsFragments(FakeReceiver)).toBe(true);
    const r = new FakeReceiver();
    const list = r._fragments;
    r._fragments.push('chunk');
    const delivered = r.dataMessage();
    expect(delivered).toEqual([]);
    // the emptied list is kept for the next message instead of the fresh one (no young array per message)
    expect(r._fragments).toBe(list);
    r.fin = false;
    r._fragments.push('part');
    expect(r.dataMessage()).toEqual(['part']);
    expect(releaseWsFragments(FakeReceiver)).toBe(true); // installed once
  });

  it('changes nothing on a receiver of another shape', () => {
    class Other {}
    expect(releaseWsFragments(Other)).toBe(false);
    expect(releaseWsFragments(null)).toBe(false);
    expect(Object.getOwnPropertyNames(Other.prototype)).toEqual(['constructor']);
  });

  describe('with the real ws', () => {
    let wss: WebSocketServer | undefined;
    afterEach(() => wss?.close());

    it('installs on ws and messages still arrive whole: text, binary, fragmented, back to back', async () => {
      expect(releaseWsFragments()).toBe(true);
      wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
      await once(wss, 'listening');
      const got: string[] = [];
      const done = new Promise<void>((resolve) => {
        wss!.on('connection', (s) =>
          s.on('message', (data, isBinary) => {
            got.push(`${isBinary ? 'b' : 't'}:${data.toString()}`);
            if (got.length === 5) resolve();
          }),
        );
      });
      const c = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
      await once(c, 'open');
      c.send('one');
      c.send(Buffer.from('two'), { binary: true });
      c.send('thr', { fin: false });
      c.send('ee', { fin: true });
      c.send('x'.repeat(70_000));
      c.send('five');
      await done;
      c.close();
      expect(got.slice(0, 3)).toEqual(['t:one', 'b:two', 't:three']);
      expect(got[3]).toBe(`t:${'x'.repeat(70_000)}`);
      expect(got[4]).toBe('t:five');
    });
  });
});
