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

  it('start node without a warning and take effect: the heap limit grows by 3 x 16 MiB of young generation', () => {
    const limit = (args: readonly string[]) => {
      const code = "console.log(require('v8').getHeapStatistics().heap_size_limit)";
      const r = spawnSync(process.execPath, [...args, '-e', code], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      return Number(r.stdout);
    };
    expect(limit(COORDINATOR_NODE_FLAGS) - limit([])).toBe(3 * 16 * 1024 * 1024);
  });
});
