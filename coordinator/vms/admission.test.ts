import { describe, expect, it } from 'vitest';
import { checkDiskSize } from './admission.js';
import type { CreateVmRequest } from './schema.js';

const GIB = 1024 ** 3;
const req = (disk_size_gb: number) => ({ disk_size_gb, image: 'debian12' }) as CreateVmRequest;

describe('checkDiskSize', () => {
  it('refuses a disk below the image virtual size with disk_too_small naming both sizes', () => {
    expect(() => checkDiskSize(req(1), 2 * GIB)).toThrow(
      expect.objectContaining({
        code: 'disk_too_small',
        message: expect.stringMatching(/disk_size_gb 1 .*"debian12" \(2 GiB\)/),
      }),
    );
  });

  it('accepts an equal or larger disk, and an image no node has sized', () => {
    expect(() => checkDiskSize(req(2), 2 * GIB)).not.toThrow();
    expect(() => checkDiskSize(req(1), undefined)).not.toThrow();
  });
});
