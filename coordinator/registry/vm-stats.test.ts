import { describe, expect, it } from 'vitest';
import { VmStatsTable } from './vm-stats.js';

describe('VmStatsTable', () => {
  it('gives back each VM figures as the beat carried them, absent keys left out', () => {
    const t = new VmStatsTable();
    t.set({ a: { 'cpu.time': 1.5e15, 'vcpu.wait': 3 }, b: { 'state.state': 1 } });
    expect(t.get('a')).toEqual({ 'cpu.time': 1.5e15, 'vcpu.wait': 3 });
    expect(t.get('b')).toEqual({ 'state.state': 1 });
    expect(t.get('c')).toBeUndefined();
    expect(t.size).toBe(2);
  });

  it('a new sample replaces every figure: a key the new sample lacks is gone', () => {
    const t = new VmStatsTable();
    t.set({ a: { 'cpu.time': 1, 'balloon.rss': 9 } });
    t.set({ a: { 'cpu.time': 2 } });
    expect(t.get('a')).toEqual({ 'cpu.time': 2 });
  });

  it('a sample for other VMs forgets the ones it no longer names', () => {
    const t = new VmStatsTable();
    t.set({ a: { 'cpu.time': 1 }, b: { 'cpu.time': 2 } });
    expect(t.get('b')).toEqual({ 'cpu.time': 2 });
    t.set({ b: { 'cpu.time': 3 }, c: { 'cpu.time': 4 } });
    expect(t.toRecord()).toEqual({ b: { 'cpu.time': 3 }, c: { 'cpu.time': 4 } });
    expect(t.get('a')).toBeUndefined();
    t.set({ c: { 'cpu.time': 5 }, b: { 'cpu.time': 6 } }); // same VMs, other order
    expect(t.get('b')).toEqual({ 'cpu.time': 6 });
    expect(t.get('c')).toEqual({ 'cpu.time': 5 });
  });

  it('clear forgets everything; an empty sample is no figures', () => {
    const t = new VmStatsTable();
    t.set({ a: { 'cpu.time': 1 } });
    t.clear();
    expect(t.toRecord()).toEqual({});
    t.set({ a: { 'cpu.time': 1 } });
    t.set({});
    expect(t.size).toBe(0);
    expect(t.get('a')).toBeUndefined();
  });

  it('keeps no reference to the parsed sample', () => {
    const t = new VmStatsTable();
    const sample = { a: { 'cpu.time': 1 } };
    t.set(sample);
    sample.a['cpu.time'] = 99;
    expect(t.get('a')).toEqual({ 'cpu.time': 1 });
  });
});
