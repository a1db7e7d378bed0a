// The dashboard's files, read once at start-up and held in memory (a few hundred kB): the page, its script and
// style from public/, and Chart.js from node_modules — the service serves everything itself, no CDN.
//
// Caching: Chart.js is served under a URL that names its version, so browsers may keep it for a year without
// asking again (immutable); a new version is a new URL. The service's own files keep their URLs, so browsers
// revalidate them on every load (no-cache) and get a 304 without a body while the ETag still matches.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Buffer;
  contentType: string;
  cacheControl: string;
  etag: string;
}

const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));
const REVALIDATE = 'no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const CHART_JS_PLACEHOLDER = '{{chartJsUrl}}';

/** The dashboard's files by URL path. */
export async function loadDashboardAssets(): Promise<Map<string, Asset>> {
  const chartJs = await chartJsBuild();
  const own = async (file: string, contentType: string) =>
    asset(await readFile(path.join(PUBLIC_DIR, file)), contentType, REVALIDATE);

  const html = (await readFile(path.join(PUBLIC_DIR, 'dashboard.html'), 'utf8')).replace(
    CHART_JS_PLACEHOLDER,
    chartJs.url,
  );
  return new Map([
    ['/dashboard', asset(Buffer.from(html), 'text/html; charset=utf-8', REVALIDATE)],
    ['/dashboard/app.js', await own('app.js', 'text/javascript; charset=utf-8')],
    ['/dashboard/style.css', await own('style.css', 'text/css; charset=utf-8')],
    ['/dashboard/favicon.svg', await own('favicon.svg', 'image/svg+xml')],
    [chartJs.url, asset(chartJs.body, 'text/javascript; charset=utf-8', IMMUTABLE)],
  ]);
}

// The UMD build defines the global `Chart` and needs no module resolution in the browser (the ES module build
// imports its colour helper by a bare package name, which a browser cannot resolve without an import map).
async function chartJsBuild(): Promise<{ url: string; body: Buffer }> {
  const dist = path.dirname(createRequire(import.meta.url).resolve('chart.js'));
  const { version } = JSON.parse(await readFile(path.join(dist, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  // The build ends with a sourceMappingURL comment; without the map beside it, a browser's developer tools
  // would ask for a file that is not served.
  const text = (await readFile(path.join(dist, 'chart.umd.min.js'), 'utf8')).replace(
    /\n\/\/# sourceMappingURL=\S+\s*$/,
    '\n',
  );
  return { url: `/dashboard/vendor/chart.js/${version}/chart.umd.min.js`, body: Buffer.from(text) };
}

function asset(body: Buffer, contentType: string, cacheControl: string): Asset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { body, contentType, cacheControl, etag };
}
