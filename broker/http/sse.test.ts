import { describe, expect, it } from 'vitest';
import { inspect, SseSplitter } from './sse.js';

const enc = new TextEncoder();

describe('SseSplitter', () => {
  it('yields only complete events, across chunk and CRLF boundaries', () => {
    const s = new SseSplitter();
    expect(s.push(enc.encode('data: {"a":1}\n'))).toEqual([]);
    const evs = s.push(enc.encode('\ndata: {"b"'));
    expect(evs.map((e) => e.data)).toEqual(['{"a":1}']);
    expect(s.push(enc.encode(':1}\r\n\r\n: keep-alive\n\n')).map((e) => e.data)).toEqual(['{"b":1}', null]);
    expect(s.rest()).toBe('');
  });

  it('reads usage, a usage-only chunk and [DONE]', () => {
    const ev = (data: string) => ({ raw: '', data });
    expect(inspect(ev('[DONE]')).done).toBe(true);
    const usage = { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 };
    expect(inspect(ev(JSON.stringify({ choices: [], usage })))).toEqual({
      done: false,
      usage,
      usageOnly: true,
    });
    expect(inspect(ev(JSON.stringify({ choices: [{}], usage: null })))).toMatchObject({
      usage: null,
      usageOnly: false,
    });
    expect(inspect(ev('not json')).usage).toBeNull();
  });
});
