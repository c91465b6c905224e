// The built site (Astro's dist/): lesson pages and assets, no token needed.
// Content types by extension; brotli or gzip from precompressed siblings (file.br, file.gz) when
// present, else compressed on the fly (small files cached); ETag / 304; hashed assets immutable.
// When there is no build yet, a small page says so (the API still works).
import { createReadStream, existsSync, statSync, type Stats } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { pipeline } from 'node:stream';
import { brotliCompress, constants as zlibConstants, createBrotliCompress, createGzip, gzip } from 'node:zlib';
import { promisify } from 'node:util';

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

export const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.go': 'text/plain; charset=utf-8',
  '.mod': 'text/plain; charset=utf-8',
  '.sum': 'text/plain; charset=utf-8',
  '.tar': 'application/x-tar',
  '.zip': 'application/zip',
  '.pdf': 'application/pdf',
};

/** Types worth compressing (images and fonts other than SVG are compressed already). */
function compressible(type: string): boolean {
  return /^text\/|javascript|json|xml|svg|wasm|x-tar|markdown/.test(type);
}

const minCompressBytes = 1024;
const cacheEntryMaxBytes = 4 * 1024 * 1024;
const cacheMaxBytes = 32 * 1024 * 1024;

type Encoding = 'br' | 'gzip';

/** The encodings the client accepts, best first (q=0 refuses). */
export function acceptedEncodings(header: string | string[] | undefined): Encoding[] {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  const q = new Map<string, number>();
  for (const part of text.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    q.set(name, qp ? Number(qp.slice(2)) || 0 : 1);
  }
  const ok = (e: string) => (q.get(e) ?? q.get('*') ?? 0) > 0;
  return (['br', 'gzip'] as const).filter(ok);
}

export class StaticSite {
  private readonly cache = new Map<string, Buffer>();
  private cacheBytes = 0;
  private realDist: string | undefined;
  private builtCheckedAt = 0;
  private built = false;

  constructor(readonly distDir: string) {}

  /** Whether dist/ holds a build (checked at most every 2 s: the site may be built while we run). */
  hasSite(): boolean {
    const now = Date.now();
    if (now - this.builtCheckedAt > 2000) {
      this.builtCheckedAt = now;
      this.built = existsSync(join(this.distDir, 'index.html')) || existsSync(join(this.distDir, '404.html'));
      if (!this.built) this.realDist = undefined;
    }
    return this.built;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    if (!this.hasSite()) return this.notBuilt(req, res, url);
    const found = await this.find(url.pathname);
    if (found === 'bad') {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('bad path\n');
      return;
    }
    if (!found) {
      const page404 = await this.find('/404.html');
      if (page404 && page404 !== 'bad') return this.send(req, res, page404.path, page404.stats, 404);
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
      return;
    }
    return this.send(req, res, found.path, found.stats, 200);
  }

  /** The file a URL path names: exact, then .html, then /index.html; never outside dist/. */
  private async find(pathname: string): Promise<{ path: string; stats: Stats } | undefined | 'bad'> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return 'bad';
    }
    if (decoded.includes('\0') || decoded.includes('\\')) return 'bad';
    const parts = decoded.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) return 'bad';
    // Precompressed siblings and dotfiles are not pages.
    if (parts.some((p) => p.startsWith('.'))) return undefined;
    this.realDist ??= await realpath(this.distDir).catch(() => undefined);
    if (!this.realDist) return undefined;
    const rel = parts.join('/');
    const candidates = decoded.endsWith('/') || !rel ? [join(rel, 'index.html')] : [rel, `${rel}.html`, join(rel, 'index.html')];
    for (const c of candidates) {
      const full = join(this.realDist, c);
      try {
        const real = await realpath(full);
        if (real !== this.realDist && !real.startsWith(this.realDist + sep)) continue;
        const s = await stat(real);
        if (s.isFile()) return { path: real, stats: s };
      } catch {
        /* next candidate */
      }
    }
    return undefined;
  }

  private async send(req: IncomingMessage, res: ServerResponse, path: string, s: Stats, status: number): Promise<void> {
    const type = contentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream';
    const immutable = path.includes(`${sep}_astro${sep}`);
    const headers: Record<string, string | number> = {
      'Content-Type': type,
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Last-Modified': s.mtime.toUTCString(),
    };
    const canCompress = compressible(type) && s.size >= minCompressBytes;
    if (canCompress) headers.Vary = 'Accept-Encoding';

    let encoding: Encoding | undefined;
    let precompressed: { path: string; size: number } | undefined;
    if (canCompress) {
      for (const e of acceptedEncodings(req.headers['accept-encoding'])) {
        const sibling = `${path}.${e === 'br' ? 'br' : 'gz'}`;
        const ss = statSyncOrUndefined(sibling);
        if (ss?.isFile() && ss.mtimeMs >= s.mtimeMs) {
          encoding = e;
          precompressed = { path: sibling, size: ss.size };
          break;
        }
      }
      encoding ??= acceptedEncodings(req.headers['accept-encoding'])[0];
    }
    const etag = `W/"${s.size.toString(36)}-${Math.floor(s.mtimeMs).toString(36)}${encoding ? `-${encoding}` : ''}"`;
    headers.ETag = etag;
    if (status === 200 && req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    if (encoding) headers['Content-Encoding'] = encoding;

    if (precompressed) {
      headers['Content-Length'] = precompressed.size;
      res.writeHead(status, headers);
      if (req.method === 'HEAD') return void res.end();
      return streamFile(precompressed.path, res);
    }
    if (!encoding) {
      headers['Content-Length'] = s.size;
      res.writeHead(status, headers);
      if (req.method === 'HEAD') return void res.end();
      return streamFile(path, res);
    }
    if (s.size <= cacheEntryMaxBytes) {
      const body = await this.compressed(path, s, encoding);
      headers['Content-Length'] = body.length;
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    // Large and not precompressed: compress as it streams (no Content-Length).
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return void res.end();
    const z =
      encoding === 'br'
        ? createBrotliCompress({ params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: s.size } })
        : createGzip({ level: 6 });
    pipeline(createReadStream(path), z, res, () => {});
  }

  private async compressed(path: string, s: Stats, encoding: Encoding): Promise<Buffer> {
    const key = `${encoding}:${path}:${s.mtimeMs}:${s.size}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key); // LRU: move to the end
      this.cache.set(key, hit);
      return hit;
    }
    const raw = await readFile(path);
    const body =
      encoding === 'br'
        ? await brotliAsync(raw, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 6, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: raw.length } })
        : await gzipAsync(raw, { level: 6 });
    this.cache.set(key, body);
    this.cacheBytes += body.length;
    for (const [k, v] of this.cache) {
      if (this.cacheBytes <= cacheMaxBytes) break;
      this.cache.delete(k);
      this.cacheBytes -= v.length;
    }
    return body;
  }

  private notBuilt(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const home = url.pathname === '/' || url.pathname === '/index.html';
    const body = Buffer.from(notBuiltPage);
    res.writeHead(home ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

function statSyncOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

function streamFile(path: string, res: ServerResponse): void {
  pipeline(createReadStream(path), res, () => {});
}

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Go HA Labs: site not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}code{background:#eee;padding:0 .3em}</style>
</head><body>
<h1>Go HA Labs</h1>
<p>The lesson site is not built yet, so there is nothing to show here. The agent's API is running.</p>
<p>Build the site with <code>npx astro build</code> (or restart with <code>npm start</code>, which builds it when <code>site/</code> exists),
or grade a lab from the command line: <code>npx labs list</code>, <code>npx labs check slowloris</code>.</p>
</body></html>
`;
