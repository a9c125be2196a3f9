/**
 * The status page's files (index.html, app.js, style.css in this folder) for the HTTP server's `GET /` and
 * `GET /web/*`, which need no token: the page holds no data, it asks for the token and then reads the API.
 *
 * The files are read once, when this module is first imported, from the folder this module is in — src/api/web/
 * when run from the sources (tests), dist/src/api/web/ after `npm run build` (its build step copies them there,
 * scripts/copy-web-assets.mjs) — and, if they are not there, from the source tree next to dist/. The set of paths is
 * fixed: nothing else on disk can be reached through it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WebAsset {
  /** The Content-Type to send. */
  readonly type: string;
  readonly body: Buffer | string;
}

/** URL path -> file name in the web folder, with its content type. */
const ROUTES: ReadonlyArray<readonly [path: string, file: string, type: string]> = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/index.html', 'index.html', 'text/html; charset=utf-8'],
  ['/web/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/web/style.css', 'style.css', 'text/css; charset=utf-8'],
];

/** The folder holding the page: this module's own, or the sources' when run from a dist/ without the copies. */
function webDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  if (existsSync(join(here, 'index.html'))) return here;
  // dist/src/api/web -> <repo>/src/api/web
  return resolve(here, '../../../../src/api/web');
}

function load(): ReadonlyMap<string, WebAsset> {
  const dir = webDir();
  const files = new Map<string, Buffer>();
  const out = new Map<string, WebAsset>();
  for (const [path, file, type] of ROUTES) {
    let body = files.get(file);
    if (body === undefined) {
      const at = join(dir, file);
      if (!existsSync(at)) continue; // not shipped: that path is a 404 rather than a crash at import
      body = readFileSync(at);
      files.set(file, body);
    }
    out.set(path, { type, body });
  }
  return out;
}

const ASSETS = load();

/** The page's file for a request path (`/`, `/index.html`, `/web/app.js`, `/web/style.css`), or undefined (404). */
export function webAsset(path: string): WebAsset | undefined {
  return ASSETS.get(path);
}

/** Paths webAsset answers (for the server's route table and tests). */
export const WEB_ASSET_PATHS: readonly string[] = ROUTES.map(([path]) => path);
