import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SpawnSpec } from '../../shared/spec.js';
import { SpawnValidationError } from './errors.js';
import type { HostIndex } from './host-view.js';
import {
  checkInside,
  describeOutside,
  type InsideCheck,
  isStrictlyUnder,
  pathExists,
  resolveInside,
} from './paths.js';

/** checkNewPaths requires the disk, seed ISO and extra disks to be new, distinct files inside imagesDir. */
export function checkNewPaths(spec: SpawnSpec, host: HostIndex): void {
  const seen = new Map<string, string>([[path.resolve(spec.base_image_path), 'base_image_path']]);
  for (const [field, p] of newFiles(spec)) {
    const resolved = resolveInside(host.view.imagesDir, p, field);
    const other = seen.get(resolved);
    if (other) {
      throw new SpawnValidationError(
        'path_duplicate',
        field,
        `Cannot use ${field} ${JSON.stringify(p)}: same file as ${other}`,
        {
          details: { path: p, other },
        },
      );
    }
    seen.set(resolved, field);
    if (pathExists(resolved)) {
      throw new SpawnValidationError(
        'path_exists',
        field,
        `Cannot create ${field} ${JSON.stringify(p)}: file already exists`,
        {
          details: { path: p },
        },
      );
    }
  }
}

/** checkBaseImage requires the base image to be an existing regular file inside an allowed base dir. */
export function checkBaseImage(spec: SpawnSpec, host: HostIndex): void {
  const field = 'base_image_path';
  const p = spec.base_image_path;
  const dirs = host.view.allowedBaseDirs ?? [host.view.imagesDir];
  const checks = dirs.map((dir) => checkInside(dir, p));
  const inside = checks.find((c) => c.ok);
  if (!inside) throw outsideBaseDirs(p, dirs, checks);
  if (isUnderVmsDir(host.view.imagesDir, inside.realPath)) {
    throw new SpawnValidationError(
      'base_image_is_vm_disk',
      field,
      `Cannot use base image ${JSON.stringify(p)}: it is a file of another VM`,
      { details: { path: p } },
    );
  }
  if (!isRegularFile(inside.realPath)) {
    throw new SpawnValidationError(
      'base_image_missing',
      field,
      `Cannot use base image ${JSON.stringify(p)}: not an existing regular file`,
      {
        details: { path: p },
      },
    );
  }
}

/**
 * checkOrderBaseImage requires a coordinator spawn order's base image to be a regular file whose
 * real path lies in `<imagesDir>/base/` (a symlink there leading anywhere else is refused).
 */
export function checkOrderBaseImage(p: string, imagesDir: string): void {
  const baseDir = path.join(imagesDir, 'base');
  const inside = checkInside(baseDir, p);
  if (!inside.ok) {
    throw new SpawnValidationError(
      'base_image_outside_base_dir',
      'base_image_path',
      `Cannot use base image ${JSON.stringify(p)}: ${describeOutside(inside.reason, baseDir)}`,
      { details: { path: p } },
    );
  }
  if (!isRegularFile(inside.realPath)) {
    throw new SpawnValidationError(
      'base_image_missing',
      'base_image_path',
      `Cannot use base image ${JSON.stringify(p)}: not an existing regular file in ${baseDir}`,
      { details: { path: p } },
    );
  }
}

/** isUnderVmsDir tells whether a real path lies in `<imagesDir>/vms/`, where VMs' own files live. */
function isUnderVmsDir(imagesDir: string, realPath: string): boolean {
  const vms = path.join(imagesDir, 'vms');
  return isStrictlyUnder(path.resolve(vms), realPath) || isStrictlyUnder(realpathOrSelf(vms), realPath);
}

function realpathOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function newFiles(spec: SpawnSpec): [field: string, path: string][] {
  return [
    ['disk_path', spec.disk_path],
    ['cloud_init_iso_path', spec.cloud_init_iso_path],
    ...(spec.extra_disks ?? []).map((d, i): [string, string] => [`extra_disks[${i}].path`, d.path]),
  ];
}

function outsideBaseDirs(p: string, dirs: readonly string[], checks: InsideCheck[]): SpawnValidationError {
  const reasons = new Set(checks.map((c) => (c.ok ? 'outside' : c.reason)));
  const reason = reasons.has('symlink_escape')
    ? 'symlink_escape'
    : reasons.has('dot_dot')
      ? 'dot_dot'
      : 'outside';
  const code = reason === 'symlink_escape' ? 'path_symlink_escape' : 'path_outside_images_dir';
  const why = describeOutside(reason, dirs.join(' and ') || 'the allowed base image directories');
  return new SpawnValidationError(
    code,
    'base_image_path',
    `Cannot use base image ${JSON.stringify(p)}: ${why}`,
    {
      details: { path: p, allowed_dirs: dirs },
    },
  );
}

function isRegularFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
