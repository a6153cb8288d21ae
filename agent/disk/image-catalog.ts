import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../shared/log.js';
import type { ImageInfo } from '../../shared/protocol.js';
import { imageFormat, imageVirtualSize } from './qemu-img.js';

const run = promisify(execFile);

/** ImageCatalogOptions: the images dir (base/ under it) and, for tests, the tools. */
export interface ImageCatalogOptions {
  imagesDir: string;
  log: Logger;
  qemuImg?: string;
  sha256sum?: string;
}

interface Entry {
  readonly key: string;
  readonly info: ImageInfo;
}

/**
 * ImageCatalog knows each base image's virtual size, format and sha256. Facts are computed once per
 * file version (mtime + size) and cached; the checksum runs in a child process (sha256sum), so a
 * multi-GiB image never blocks the agent's event loop, and `current()` never waits for it: an image
 * shows `sha256: null` until its checksum is done, and the next heartbeat carries it.
 */
export class ImageCatalog {
  readonly #o: ImageCatalogOptions;
  readonly #cache = new Map<string, Entry>();
  #refreshing: Promise<void> | null = null;

  constructor(o: ImageCatalogOptions) {
    this.#o = o;
  }

  /** current is what is known now (starting a refresh in the background); images being read are left out. */
  current(): Record<string, ImageInfo> {
    this.refresh().catch(() => undefined);
    return Object.fromEntries([...this.#cache.entries()].map(([name, e]) => [name, e.info]));
  }

  /** refresh re-reads base/: new or changed files get their facts, removed ones are dropped (one run at a time). */
  refresh(): Promise<void> {
    this.#refreshing ??= this.scan().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  private async scan(): Promise<void> {
    const dir = join(this.#o.imagesDir, 'base');
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.qcow2'));
    const seen = new Set<string>();
    for (const file of names) {
      const name = file.slice(0, -'.qcow2'.length);
      seen.add(name);
      await this.readOne(name, join(dir, file)).catch((err: unknown) => {
        this.#cache.delete(name);
        this.#o.log.warn('cannot read base image', { image: name, err });
      });
    }
    for (const name of [...this.#cache.keys()]) if (!seen.has(name)) this.#cache.delete(name);
  }

  private async readOne(name: string, path: string): Promise<void> {
    const st = await stat(path);
    const key = `${st.mtimeMs}:${st.size}`;
    const known = this.#cache.get(name);
    if (known?.key === key && known.info.sha256 !== null) return;
    const qemuImg = this.#o.qemuImg ?? 'qemu-img';
    const info: ImageInfo = {
      virtual_size: await imageVirtualSize(path, qemuImg),
      format: await imageFormat(path, qemuImg),
      sha256: null,
    };
    this.#cache.set(name, { key, info });
    const { stdout } = await run(this.#o.sha256sum ?? 'sha256sum', ['--', path]);
    const sha256 = stdout.slice(0, 64);
    // the file changed while it was hashed: the next refresh reads it again
    const after = await stat(path);
    if (`${after.mtimeMs}:${after.size}` !== key || !/^[0-9a-f]{64}$/.test(sha256)) return;
    this.#cache.set(name, { key, info: { ...info, sha256 } });
  }
}
