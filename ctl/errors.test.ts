import { describe, expect, it } from 'vitest';
import { ApiError, ClientError } from '../api/index.js';
import { ConfigError } from '../shared/config.js';
import { CtlError, EXIT, exitCodeFor, renderError } from './errors.js';

describe('renderError', () => {
  it('prints code and detail, then a count per reason per pass for no_capacity', () => {
    const problem = {
      code: 'no_capacity',
      detail: 'Cannot place VM: no node fits (2 nodes considered)',
      passes: [
        {
          pass: 1,
          ran: true,
          candidates: [],
          rejected: [{ node_id: 'n1', reason: 'numa_cpu_fit', detail: 'no NUMA node has 32 free threads' }],
        },
        {
          pass: 2,
          ran: true,
          candidates: [],
          rejected: [{ node_id: 'n2', reason: 'node_down', detail: 'node is down' }],
        },
      ],
    };
    expect(renderError(new ApiError('no_capacity', problem.detail, 409, problem))).toBe(
      [
        'vmpoolctl: no_capacity: Cannot place VM: no node fits (2 nodes considered)',
        '  nodes evaluated: 2',
        '  pass 1: 1 rejected',
        '    numa_cpu_fit: 1 (n1) — no NUMA node has 32 free threads',
        '  pass 2: 1 rejected',
        '    node_down: 1 (n2) — node is down',
        '  (--nodes lists every node)',
        '',
      ].join('\n'),
    );
  });

  it('says when a pass did not run', () => {
    const problem = { passes: [{ pass: 2, ran: false, candidates: [], rejected: [] }] };
    expect(renderError(new ApiError('no_capacity', 'x', 409, problem))).toContain('  pass 2: not run');
  });

  it('lists field paths for validation_failed', () => {
    const problem = {
      issues: [{ path: 'name', code: 'invalid_format', message: 'must be 1-40 lowercase letters' }],
    };
    expect(
      renderError(new ApiError('validation_failed', 'Cannot accept VM request: name must be', 422, problem)),
    ).toContain('  --name (name): must be 1-40 lowercase letters');
  });

  it('names the flag behind an API field and keeps the path', () => {
    const problem = { issues: [{ path: 'vcpu_count', code: 'too_big', message: 'must be at most 512' }] };
    expect(renderError(new ApiError('validation_failed', 'x', 422, problem))).toContain(
      '  --vcpus (vcpu_count): must be at most 512',
    );
  });

  it('summarises 50 rejected nodes in a few lines', () => {
    const rejected = Array.from({ length: 50 }, (_, i) => ({
      node_id: `hv-${i}`,
      reason: i < 40 ? 'numa_cpu_fit' : 'capacity_memory',
      detail: 'too small',
    }));
    const problem = {
      passes: [
        { pass: 1, ran: true, candidates: [], rejected },
        { pass: 2, ran: true, candidates: [], rejected },
      ],
    };
    const out = renderError(new ApiError('no_capacity', 'x', 409, problem));
    expect(out.trimEnd().split('\n').length).toBeLessThan(25);
    expect(out).toContain('    numa_cpu_fit: 40 (hv-0, hv-1, hv-2, +37 more) — too small');
    expect(out).toContain('  nodes evaluated: 50');
  });

  it('renders client errors and plain errors with a code', () => {
    expect(renderError(new CtlError('usage', 'Cannot run x: unknown command'))).toBe(
      'vmpoolctl: usage: Cannot run x: unknown command\n',
    );
    expect(renderError(new Error('boom'))).toBe('vmpoolctl: internal: boom\n');
  });
});

describe('exitCodeFor', () => {
  it.each([
    [new ApiError('not_found', 'x', 404, {}), EXIT.api],
    [new CtlError('usage', 'x'), EXIT.usage],
    [new ConfigError('x'), EXIT.usage],
    [new ClientError('unreachable', 'x'), EXIT.unreachable],
    [new ClientError('invalid_url', 'x'), EXIT.usage],
    [new Error('x'), EXIT.api],
  ])('exitCodeFor(%s) is %i', (err, code) => {
    expect(exitCodeFor(err)).toBe(code);
  });
});
