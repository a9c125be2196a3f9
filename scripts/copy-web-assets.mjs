#!/usr/bin/env node
/**
 * Part of `npm run build`: tsc emits only the .ts files, so the status page's static files (src/api/web: index.html,
 * app.js, style.css) are copied next to dist/src/api/web/serve.js, which serves them from its own folder. A dist/
 * copied on its own (the container image) then still has the page.
 *
 * Usage: node scripts/copy-web-assets.mjs [ROOT]   (ROOT: the repository; default this one)
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const from = join(root, 'src/api/web');
const to = join(root, 'dist/src/api/web');
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from)) {
  if (/\.(html|js|css|svg|png)$/.test(name)) copyFileSync(join(from, name), join(to, name));
}
