import { VmpoolError } from './errors.js';

/** CpuListError reports a malformed Linux cpulist string ("0-3,8-11"). */
export class CpuListError extends VmpoolError {
  constructor(input: string, detail: string) {
    super('invalid_cpulist', `Cannot parse cpu list ${JSON.stringify(input)}: ${detail}`);
    this.name = 'CpuListError';
  }
}

const MAX_CPU_ID = 65_535;

/** parseCpuList parses the kernel/libvirt list form ("0-3,8-11", "5", "") into sorted unique ids. */
export function parseCpuList(input: string): number[] {
  const text = input.trim();
  if (text === '') return [];
  const ids = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new CpuListError(input, `bad element ${JSON.stringify(part)}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new CpuListError(input, `range ${part} runs backwards`);
    if (hi > MAX_CPU_ID) throw new CpuListError(input, `id ${hi} is too large`);
    for (let i = lo; i <= hi; i++) ids.add(i);
  }
  return [...ids].sort((a, b) => a - b);
}

/** formatCpuList renders ids in the compact range form ("0-3,8-11"); the inverse of parseCpuList. */
export function formatCpuList(ids: readonly number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
