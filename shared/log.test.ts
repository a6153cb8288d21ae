import { describe, expect, it } from 'vitest';
import { VmpoolError } from './errors.js';
import {
  createJournaldSink,
  createJsonSink,
  createLogger,
  formatJsonLine,
  journalFieldName,
  journalFields,
  type LogEntry,
  type LoggerOptions,
  parseLogLevel,
  serializeError,
} from './log.js';

const T0 = Date.parse('2025-01-02T03:04:05.678Z');

function capture(opts: Partial<LoggerOptions> = {}) {
  const entries: LogEntry[] = [];
  const log = createLogger({
    component: 'agent',
    env: {},
    now: () => T0,
    sink: (e) => entries.push(e),
    ...opts,
  });
  return { log, entries };
}

describe('createLogger', () => {
  it('writes one JSON object per line with ts, level, component, msg and fields', () => {
    const lines: string[] = [];
    const log = createLogger({
      component: 'coordinator',
      env: {},
      now: () => T0,
      sink: createJsonSink((l) => lines.push(l)),
    });
    log.info('vm started', { vm_name: 'web-1', vmid: 120 });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(lines[0]?.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      ts: '2025-01-02T03:04:05.678Z',
      level: 'info',
      component: 'coordinator',
      msg: 'vm started',
      vm_name: 'web-1',
      vmid: 120,
    });
  });

  it('merges child fields under call fields, and the parent keeps its own', () => {
    const { log, entries } = capture({ fields: { node_id: 'n1' } });
    const child = log.child({ vm_id: 'a', request_id: 'r1' });
    child.warn('spawn slow', { request_id: 'r2' });
    log.info('parent only');
    expect(entries[0]?.fields).toEqual({ node_id: 'n1', vm_id: 'a', request_id: 'r2' });
    expect(entries[1]?.fields).toEqual({ node_id: 'n1' });
  });

  it('an unbound logger still drops undefined fields and serialises Errors under any key', () => {
    const { log, entries } = capture();
    log.info('plain', { a: 1, b: 'x', c: null });
    log.info('mixed', { a: 1, gone: undefined, cause: new Error('disk gone') });
    log.info('coded', { err: { message: 'm', code: 'c' } });
    expect(entries.map((e) => e.fields)).toEqual([
      { a: 1, b: 'x', c: null },
      { a: 1, cause: { message: 'disk gone' } },
      { err: { message: 'm', code: 'c' }, error_code: 'c' },
    ]);
    expect(Object.keys(entries[1]!.fields)).toEqual(['a', 'cause']);
  });

  it('serialises err as {message, code} and copies the code into error_code', () => {
    const { log, entries } = capture();
    log.error('spawn failed', { err: new VmpoolError('no_capacity', 'Cannot place VM "x": no node fits') });
    expect(entries[0]?.fields).toEqual({
      err: { message: 'Cannot place VM "x": no node fits', code: 'no_capacity' },
      error_code: 'no_capacity',
    });
  });

  it.each([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
  ] as const)('at VMPOOL_LOG_LEVEL=%s emits only %j', (level, expected) => {
    const { log, entries } = capture({ env: { VMPOOL_LOG_LEVEL: level } });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(entries.map((e) => e.level)).toEqual(expected);
  });
});

describe('parseLogLevel and serializeError', () => {
  it.each([
    [undefined, 'info'],
    ['', 'info'],
    ['DEBUG', 'debug'],
    [' warn ', 'warn'],
    ['verbose', 'info'],
  ])('parseLogLevel(%j) is %s', (input, expected) => {
    expect(parseLogLevel(input)).toBe(expected);
  });

  it.each([
    [new Error('boom'), { message: 'boom' }],
    [Object.assign(new Error('gone'), { code: 'ENOENT' }), { message: 'gone', code: 'ENOENT' }],
    ['plain string', { message: 'plain string' }],
  ])('serializeError(%s) keeps message and code only', (err, expected) => {
    expect(serializeError(err)).toEqual(expected);
  });
});

describe('formatJsonLine', () => {
  it('keeps core keys from being overwritten and survives bigint and circular fields', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const base = { ts: T0, level: 'info', component: 'ctl', msg: 'm' } as const;
    expect(JSON.parse(formatJsonLine({ ...base, fields: { msg: 'x', big: 10n } }))).toMatchObject({
      msg: 'm',
      field_msg: 'x',
      big: '10',
    });
    expect(JSON.parse(formatJsonLine({ ...base, fields: { c: circular } }))).toMatchObject({
      msg: 'm',
      log_error: 'fields not serialisable',
    });
  });
});

describe('journald mapping', () => {
  it.each([
    ['node_id', 'NODE_ID'],
    ['vm_id', 'VM_ID'],
    ['vmid', 'VMID'],
    ['vm_name', 'VM_NAME'],
    ['vmName', 'VM_NAME'],
    ['tenant_id', 'TENANT_ID'],
    ['request_id', 'REQUEST_ID'],
    ['error_code', 'ERROR_CODE'],
    ['numa_node', 'VMPOOL_NUMA_NODE'],
    ['duration-ms', 'VMPOOL_DURATION_MS'],
    ['_private', 'VMPOOL_PRIVATE'],
    ['9lives', 'VMPOOL_9LIVES'],
    ['héllo wörld', 'VMPOOL_H_LLO_W_RLD'],
    ['x'.repeat(100), `VMPOOL_${'X'.repeat(57)}`],
  ])('journalFieldName(%j) is %s', (key, expected) => {
    const name = journalFieldName(key);
    expect(name).toBe(expected);
    expect(name).toMatch(/^[A-Z][A-Z0-9_]{0,63}$/);
  });

  it('journalFields adds MESSAGE, PRIORITY, SYSLOG_IDENTIFIER and stringifies values', () => {
    const entry: LogEntry = {
      ts: T0,
      level: 'warn',
      component: 'agent',
      msg: 'vm stopped unexpectedly',
      fields: {
        vm_name: 'web-1',
        vmid: 120,
        err: { message: 'line one\nline two', code: 'domain_gone' },
        error_code: 'domain_gone',
        pins: [0, 36],
      },
    };
    expect(journalFields(entry)).toEqual({
      MESSAGE: 'vm stopped unexpectedly: line one\nline two',
      PRIORITY: '4',
      SYSLOG_IDENTIFIER: 'vmpool-agent',
      VM_NAME: 'web-1',
      VMID: '120',
      VMPOOL_ERR: 'line one\nline two',
      ERROR_CODE: 'domain_gone',
      VMPOOL_PINS: '[0,36]',
    });
  });

  it.each([
    ['debug', '7'],
    ['info', '6'],
    ['warn', '4'],
    ['error', '3'],
  ] as const)('level %s maps to syslog priority %s', (level, priority) => {
    expect(journalFields({ ts: T0, level, component: 'ctl', msg: 'm', fields: {} }).PRIORITY).toBe(priority);
  });

  it('createJournaldSink falls back to the JSON sink when the journal send fails', () => {
    const sent: Record<string, string>[] = [];
    const fallback: LogEntry[] = [];
    const entry: LogEntry = { ts: T0, level: 'info', component: 'agent', msg: 'm', fields: {} };
    createJournaldSink(
      (f) => {
        sent.push(f);
        return true;
      },
      (e) => fallback.push(e),
    )(entry);
    createJournaldSink(
      () => false,
      (e) => fallback.push(e),
    )(entry);
    expect(sent).toHaveLength(1);
    expect(fallback).toEqual([entry]);
  });
});
