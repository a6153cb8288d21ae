import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS } from './node-flags.js';

const ROOT = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const flags = AGENT_NODE_FLAGS.join(' ');

/** agentSources lists the agent's own .ts files (tests excluded), relative to the checkout. */
function agentSources(dir = 'agent'): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return agentSources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('AGENT_NODE_FLAGS', () => {
  it('are the flags of every place that starts the agent for real', () => {
    expect(read('systemd/vmpool-agent.service')).toContain(
      `ExecStart=/usr/bin/node ${flags} /opt/vmpool/dist/agent/main.js run`,
    );
    expect(read('agent/main.ts').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
    expect(read('scripts/demo.sh')).toContain(`nohup node ${flags} dist/agent/main.js run`);
  });

  it('start node without a warning, and leave WebAssembly off as documented', () => {
    const r = spawnSync(process.execPath, [...AGENT_NODE_FLAGS, '-e', 'console.log(typeof WebAssembly)'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('undefined');
  });

  it('hold because the agent never calls fetch() (undici needs WebAssembly, which --jitless removes)', () => {
    const code = (f: string) =>
      read(f)
        .split('\n')
        .filter((l) => !/^\s*(\/\/|\/?\*)/.test(l)) // comments may name them
        .join('\n');
    const users = agentSources().filter((f) => /\bfetch\(|\bWebAssembly\b/.test(code(f)));
    expect(users).toEqual([]);
  });
});
