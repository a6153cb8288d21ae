import { describe, expect, it } from 'vitest';
import { agentUrl, agentUrls, UrlRing } from './urls.js';

describe('agent coordinator URLs', () => {
  it('turns base URLs into agent endpoints, one per comma-separated entry', () => {
    expect(agentUrl('http://10.0.0.1:7700')).toBe('ws://10.0.0.1:7700/v1/agents/connect');
    expect(agentUrls('https://a:1, http://b:2/')).toEqual([
      'wss://a:1/v1/agents/connect',
      'ws://b:2/v1/agents/connect',
    ]);
  });

  it('goes round the list on failures and dials a leader a follower named next, once', () => {
    const ring = new UrlRing(['ws://a/x', 'ws://b/x', 'ws://c/x']);
    expect(ring.current()).toBe('ws://a/x');
    ring.failed();
    expect(ring.current()).toBe('ws://b/x');
    ring.leaderIs('http://c');
    ring.failed();
    expect(ring.hasHint).toBe(true);
    expect(ring.current()).toBe('ws://c/v1/agents/connect');
    ring.failed(); // the named leader failed too: back to the list where we were
    expect(ring.hasHint).toBe(false);
    expect(ring.current()).toBe('ws://b/x');
    ring.leaderIs(''); // a follower that knows no leader names none
    ring.failed();
    expect(ring.current()).toBe('ws://c/x');
  });
});
