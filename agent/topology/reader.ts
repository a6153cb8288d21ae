import { readFile as fsReadFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCpuList } from '../../shared/cpulist.js';
import { errorMessage } from '../../shared/errors.js';
import { TopologyError } from './errors.js';

/** ReadFileFn reads one text file; it must reject with an ENOENT/ENOTDIR-coded error when the file is absent. */
export type ReadFileFn = (path: string) => Promise<string>;

/** defaultReadFile reads from the real filesystem as UTF-8. */
export const defaultReadFile: ReadFileFn = (path) => fsReadFile(path, 'utf8');

const ABSENT_CODES = new Set(['ENOENT', 'ENOTDIR']);

/** HostFiles reads host files below one root (`/` or a fixture tree), as Nomad's pathReaderFn does. */
export class HostFiles {
  readonly root: string;
  private readonly readFile: ReadFileFn;

  constructor(root = '/', readFile: ReadFileFn = defaultReadFile) {
    this.root = root;
    this.readFile = readFile;
  }

  /** path maps a host-absolute path ("/sys/...") below the root. */
  path(hostPath: string): string {
    return join(this.root, hostPath);
  }

  /** optional gives the file's trimmed text, or null when the file does not exist. */
  async optional(hostPath: string): Promise<string | null> {
    try {
      return (await this.readFile(this.path(hostPath))).trim();
    } catch (err) {
      if (ABSENT_CODES.has((err as NodeJS.ErrnoException).code ?? '')) return null;
      throw new TopologyError(`Cannot read ${this.path(hostPath)}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** required gives the file's trimmed text and fails with TopologyError when it is missing. */
  async required(hostPath: string): Promise<string> {
    const text = await this.optional(hostPath);
    if (text === null)
      throw new TopologyError(`Cannot read host topology: ${this.path(hostPath)} is missing`);
    return text;
  }

  /** cpuList parses a kernel cpulist file; null when the file does not exist. */
  async cpuList(hostPath: string): Promise<number[] | null> {
    const text = await this.optional(hostPath);
    if (text === null) return null;
    try {
      return parseCpuList(text);
    } catch (err) {
      throw new TopologyError(`Cannot parse ${this.path(hostPath)}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** integer parses a file holding one decimal integer (core_id, physical_package_id). */
  async integer(hostPath: string): Promise<number> {
    const text = await this.required(hostPath);
    const value = Number(text);
    if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value)) {
      throw new TopologyError(
        `Cannot parse ${this.path(hostPath)}: expected an integer, got ${JSON.stringify(text)}`,
      );
    }
    return value;
  }
}
