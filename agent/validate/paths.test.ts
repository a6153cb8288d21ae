import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkInside, isStrictlyUnder, resolveInside } from './paths.js';

// scratch/images is the root; scratch/images-2 is a sibling sharing its name as a prefix.
const scratch = mkdtempSync(path.join(tmpdir(), 'vmpool-validate-paths-'));
const root = path.join(scratch, 'images');
mkdirSync(path.join(root, 'vm-1'), { recursive: true });
mkdirSync(path.join(scratch, 'images-2'));
symlinkSync('/etc', path.join(root, 'etc-link'));
symlinkSync(path.join(root, 'vm-1'), path.join(root, 'vm-1-link'));
symlinkSync(root, path.join(scratch, 'images-link'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('checkInside', () => {
  it.each([
    ['a new file in the root', 'disk.qcow2'],
    ['a new file in an existing subfolder', 'vm-1/disk.qcow2'],
    ['a new file in a missing subfolder', 'vm-9/a/b/disk.qcow2'],
    ['a file through a symlink that stays inside', 'vm-1-link/disk.qcow2'],
    ['a name that merely starts with two dots', '..disk.qcow2'],
  ])('accepts %s', (_label, rel) => {
    expect(checkInside(root, path.join(root, rel))).toMatchObject({ ok: true, path: path.join(root, rel) });
  });

  it.each([
    ['a .. segment even when it stays inside', `${root}/vm-1/../disk.qcow2`, 'dot_dot'],
    ['a relative .. escape', '../outside.qcow2', 'dot_dot'],
    ['an absolute path elsewhere', '/etc/passwd', 'outside'],
    ['the root itself', root, 'outside'],
    ['a sibling sharing the prefix', path.join(scratch, 'images-2', 'disk.qcow2'), 'outside'],
    ['a symlink to /etc', path.join(root, 'etc-link', 'shadow'), 'symlink_escape'],
    ['the symlink to /etc itself', path.join(root, 'etc-link'), 'symlink_escape'],
  ])('refuses %s', (_label, p, reason) => {
    expect(checkInside(root, p)).toEqual({ ok: false, reason });
  });

  it('accepts paths under a root that is itself a symlink', () => {
    const linkedRoot = path.join(scratch, 'images-link');
    expect(checkInside(linkedRoot, path.join(linkedRoot, 'vm-1', 'd.qcow2'))).toMatchObject({
      ok: true,
      realPath: path.join(root, 'vm-1', 'd.qcow2'),
    });
  });
});

describe('resolveInside', () => {
  it('resolves a relative path against the root', () => {
    expect(resolveInside(root, 'vm-1/disk.qcow2')).toBe(path.join(root, 'vm-1', 'disk.qcow2'));
  });

  it.each([
    ['/etc/passwd', 'path_outside_images_dir'],
    [`${root}/etc-link/x`, 'path_symlink_escape'],
  ])('throws for %s with code %s and the field name', (p, code) => {
    expect(() => resolveInside(root, p, 'disk_path')).toThrow(
      expect.objectContaining({ code, details: expect.objectContaining({ field: 'disk_path' }) }),
    );
  });
});

describe('isStrictlyUnder', () => {
  it.each([
    ['/a', '/a/b', true],
    ['/a', '/a', false],
    ['/a', '/ab', false],
    ['/a', '/', false],
    ['/a', '/a/..b', true],
  ])('%s holds %s: %s', (parent, child, expected) => {
    expect(isStrictlyUnder(parent, child)).toBe(expected);
  });
});
