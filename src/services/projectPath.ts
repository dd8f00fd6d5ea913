import { existsSync } from 'node:fs';
import path from 'node:path';

let root: string | undefined;

/**
 * Resolves a path from the project root, whether the code runs from src/ (tsx, tests) or from
 * dist/src/ (compiled): data files stay in src/ and are not copied into the build.
 */
export function projectPath(...segments: string[]): string {
  root ??= findRoot(__dirname);
  return path.join(root, ...segments);
}

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'src'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the project root above ${start}`);
    dir = parent;
  }
}
