import { lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { SpawnValidationError } from './errors.js';

/** InsideCheck is the outcome of placing a path under a root: the lexical and real paths, or why not. */
export type InsideCheck =
  | { readonly ok: true; readonly path: string; readonly realPath: string }
  | { readonly ok: false; readonly reason: 'dot_dot' | 'outside' | 'symlink_escape' };

/**
 * checkInside tells whether `p` lies strictly inside `root`, both as written and after resolving
 * symlinks of its nearest existing ancestor (so a link inside root pointing at /etc is caught).
 */
export function checkInside(root: string, p: string): InsideCheck {
  // `..` is refused outright: even when it stays inside, it hides where the file really goes.
  if (p.split(/[\\/]/).includes('..')) return { ok: false, reason: 'dot_dot' };
  const lexicalRoot = path.resolve(root);
  const resolved = path.resolve(lexicalRoot, p);
  if (!isStrictlyUnder(lexicalRoot, resolved)) return { ok: false, reason: 'outside' };
  const realRoot = realpathOrSelf(lexicalRoot);
  const realPath = realpathOfNearestAncestor(resolved);
  if (realPath === null || !isStrictlyUnder(realRoot, realPath))
    return { ok: false, reason: 'symlink_escape' };
  return { ok: true, path: resolved, realPath };
}

/** resolveInside returns `p` resolved under `root`, or throws SpawnValidationError naming `field`. */
export function resolveInside(root: string, p: string, field = 'path'): string {
  const check = checkInside(root, p);
  if (check.ok) return check.path;
  const code = check.reason === 'symlink_escape' ? 'path_symlink_escape' : 'path_outside_images_dir';
  const why = describeOutside(check.reason, root);
  throw new SpawnValidationError(code, field, `Cannot use ${field} ${JSON.stringify(p)}: ${why}`, {
    details: { path: p, root },
  });
}

/** describeOutside words a failed InsideCheck for an error message. */
export function describeOutside(reason: 'dot_dot' | 'outside' | 'symlink_escape', root: string): string {
  if (reason === 'dot_dot') return 'it contains a ".." segment';
  if (reason === 'symlink_escape') return `a symlink leads outside ${root}`;
  return `it is outside ${root}`;
}

/** isStrictlyUnder tells whether `child` is below `parent` (both absolute and normalised). */
export function isStrictlyUnder(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** pathExists tells whether anything, even a dangling symlink, sits at `p`. */
export function pathExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function realpathOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

// Walks up to the first ancestor that exists, resolves its symlinks, then re-appends the rest;
// a missing tail cannot be a symlink yet, so this is where the file would really be created.
// A dangling symlink above the final component cannot be verified, so it yields null.
function realpathOfNearestAncestor(p: string): string | null {
  const tail: string[] = [];
  let current = p;
  for (;;) {
    try {
      return path.join(realpathSync(current), ...tail.reverse());
    } catch {
      if (current !== p && pathExists(current)) return null;
      const parent = path.dirname(current);
      if (parent === current) return p;
      tail.push(path.basename(current));
      current = parent;
    }
  }
}
