import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const cache = new Map<string, string>();

/**
 * The generated script `bundles/<name>.js` shipped with the package (built by
 * `npm run bundle`), found from this file whether it runs from `src/` or `lib/`.
 */
export function readBundle(name: string): string {
  const cached = cache.get(name);
  if (cached !== undefined) {
    return cached;
  }
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'bundles', `${name}.js`);
    if (existsSync(candidate)) {
      const code = readFileSync(candidate, 'utf8');
      cache.set(name, code);
      return code;
    }
    dir = dirname(dir);
  }
  throw new Error(`bundled script '${name}' not found next to ml-platform-constructs; run 'npm run bundle'`);
}
