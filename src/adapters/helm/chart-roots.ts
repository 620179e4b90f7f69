import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** `oci://…` and `<repo>/<chart>` come from registries; anything else is a path on this machine. */
export function isLocalChart(chart: string): boolean {
  return !chart.startsWith('oci://') && !REPOSITORY_CHART.test(chart);
}

/** `<repo>/<chart>`: a registered repository's name, then a chart name (never a flag or a dot-path). */
export const REPOSITORY_CHART = /^([a-z0-9-]+)\/([A-Za-z0-9][A-Za-z0-9._-]*)$/;

/**
 * Why a local chart path may not be used, or undefined when it lies under one
 * of `roots`. Symlinks and `..` are resolved first, so neither leads out; a
 * path that does not exist yet is judged by its nearest existing parent.
 */
export async function chartPathProblem(chart: string, roots: readonly string[]): Promise<string | undefined> {
  const where = roots.length ? `under ${roots.join(', ')} (FLOTILLA_CHART_ROOTS)` : 'anywhere: FLOTILLA_CHART_ROOTS lists no directory';
  if (chart.includes('\0')) return 'must not contain NUL';
  const real = await realpathOfNearest(resolve(chart));
  for (const root of roots) {
    const realRoot = await realpath(root).catch(() => undefined);
    if (real && realRoot && within(realRoot, real)) return undefined;
  }
  return `a local chart must lie ${where}; or name a registered repository as <repo>/<chart>, or an oci:// reference`;
}

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** The real path, through the nearest existing parent; undefined for a dangling symlink or an unreadable path, which could lead anywhere. */
async function realpathOfNearest(path: string): Promise<string | undefined> {
  const missing: string[] = [];
  let current = path;
  for (;;) {
    try {
      return join(await realpath(current), ...missing.reverse());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
      if (await lstat(current).then(() => true, () => false)) return undefined;
      const parent = dirname(current);
      if (parent === current) return undefined;
      missing.push(basename(current));
      current = parent;
    }
  }
}
