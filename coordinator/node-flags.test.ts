import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COORDINATOR_NODE_FLAGS } from './node-flags.js';

const ROOT = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const flags = COORDINATOR_NODE_FLAGS.join(' ');

describe('COORDINATOR_NODE_FLAGS', () => {
  it('are the flags of every place that starts the coordinator for real', () => {
    expect(read('systemd/vmpool-coordinator.service')).toContain(
      `ExecStart=/usr/bin/node ${flags} /opt/vmpool/dist/coordinator/main.js --config`,
    );
    expect(read('coordinator/main.ts').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
    expect(read('scripts/demo.sh')).toContain(`nohup node ${flags} dist/coordinator/main.js --listen`);
    expect(read('bench/lib/coordinator-proc.ts')).toContain('...COORDINATOR_NODE_FLAGS');
  });

  it('start node without a warning and take effect: 16 MiB semi-spaces, 3 x 15 MiB more heap limit than 1 MiB ones', () => {
    const limit = (args: readonly string[]) => {
      const code = "console.log(require('v8').getHeapStatistics().heap_size_limit)";
      const r = spawnSync(process.execPath, [...args, '-e', code], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      return Number(r.stdout);
    };
    // the limit counts the young generation as 3 semi-spaces (two plus the new large-object space)
    expect(limit(COORDINATOR_NODE_FLAGS) - limit(['--max-semi-space-size=1'])).toBe(3 * 15 * 1024 * 1024);
  });
});
