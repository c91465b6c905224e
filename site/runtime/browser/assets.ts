// What the browser runtime downloads from the site, all under /runtime/:
//   /runtime/manifest.json      the runtime's files (toolchain, launcher, dist/...) with sizes
//   /runtime/<path>[.gz][.partN] each of those files (gzip-compressed by the build where that pays,
//                               cut into parts where big), mounted at <workdir>/runtime/<path>
//   /runtime/labs/<id>.json     a browser lab's starter and solution files
// The site build writes them (site/lib/runtime-assets.mjs).
import type { LabFile } from './store.js';

export interface AssetEntry {
  path: string;
  /** bytes of the file itself */
  size: number;
  /** bytes on the wire (compressed) */
  stored: number;
  /** stored gzip-compressed as <path>.gz: the tab decompresses it */
  gzip?: true;
  /** stored as <name>.part0, .part1, ... (static hosts cap file sizes) */
  parts?: number;
}

export interface AssetManifest {
  version: 1;
  /** false when the site was built without `npm run runtime:build` */
  built: boolean;
  files: AssetEntry[];
  /** bytes on the wire, all files */
  bytes: number;
  /** bytes once unpacked */
  size: number;
}

/** The URLs (under /runtime/) that hold an entry's bytes, in order (site/lib/runtime-assets.mjs writes them). */
export function partNames(entry: AssetEntry): string[] {
  const name = entry.gzip ? `${entry.path}.gz` : entry.path;
  return entry.parts ? Array.from({ length: entry.parts }, (_, i) => `${name}.part${i}`) : [name];
}

/** gzip -d in the tab (DecompressionStream); bytes that are not gzip (a host that decoded them already) pass. */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export interface LabBundle {
  id: string;
  starter: WireFile[];
  /** the files that differ in the solution (laid over the starter) */
  solution: WireFile[];
}

export interface WireFile {
  path: string;
  /** UTF-8 text, or base64 when `binary` */
  contents: string;
  binary?: boolean;
}

/** Thrown when the site has no in-browser runtime to offer. */
export class AssetsMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssetsMissingError';
  }
}

export interface Progress {
  loaded: number;
  total: number;
}

const join = (base: string, path: string) => `${base.replace(/\/?$/, '/')}${path.split('/').map(encodeURIComponent).join('/')}`;

export async function fetchManifest(fetchImpl: typeof fetch, base: string): Promise<AssetManifest> {
  let response: Response;
  try {
    response = await fetchImpl(join(base, 'manifest.json'));
  } catch (err) {
    throw new AssetsMissingError(`the in-browser Go runtime could not be downloaded: ${(err as Error).message}`);
  }
  if (!response.ok || !(response.headers.get('content-type') ?? '').includes('json')) {
    throw new AssetsMissingError(`this site has no in-browser Go runtime (GET ${join(base, 'manifest.json')}: ${response.status})`);
  }
  const manifest = (await response.json()) as AssetManifest;
  if (manifest.version !== 1) throw new AssetsMissingError(`the in-browser Go runtime on this site has an unknown format (version ${String(manifest.version)})`);
  if (!manifest.built || !manifest.files.length) {
    throw new AssetsMissingError('the in-browser Go runtime was not built when this site was built (npm run runtime:build, then build the site again)');
  }
  return manifest;
}

/** Downloads every file of the manifest, a few at a time, reporting bytes as they arrive. */
export async function fetchAssets(
  fetchImpl: typeof fetch,
  base: string,
  manifest: AssetManifest,
  onProgress?: (p: Progress) => void,
  concurrency = 4,
  signal?: AbortSignal,
): Promise<{ path: string; contents: Uint8Array }[]> {
  const out: { path: string; contents: Uint8Array }[] = new Array(manifest.files.length);
  let loaded = 0;
  let next = 0;
  const total = manifest.bytes;
  onProgress?.({ loaded, total });
  const worker = async () => {
    while (next < manifest.files.length) {
      const i = next++;
      const f = manifest.files[i]!;
      const urls = partNames(f);
      const pieces: Uint8Array[] = [];
      for (const u of urls) {
        const response = await fetchImpl(join(base, u), { signal });
        if (!response.ok) throw new AssetsMissingError(`the in-browser Go runtime is incomplete: GET ${join(base, u)}: ${response.status}`);
        pieces.push(
          await readBody(response, (n) => {
            loaded += n;
            onProgress?.({ loaded, total });
          }),
        );
      }
      const stored = pieces.length === 1 ? pieces[0]! : concat(pieces);
      const contents = f.gzip ? await gunzip(stored) : stored;
      if (contents.length !== f.size) throw new AssetsMissingError(`the in-browser Go runtime is damaged: ${f.path} has ${contents.length} bytes, the manifest says ${f.size}`);
      out[i] = { path: f.path, contents };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, manifest.files.length) }, worker));
  return out;
}

async function readBody(response: Response, onChunk: (bytes: number) => void): Promise<Uint8Array> {
  if (!response.body) {
    const buf = new Uint8Array(await response.arrayBuffer());
    onChunk(buf.length);
    return buf;
  }
  const chunks: Uint8Array[] = [];
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    onChunk(value.length);
  }
  return concat(chunks);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const buf = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    buf.set(c, at);
    at += c.length;
  }
  return buf;
}

export async function fetchLab(fetchImpl: typeof fetch, base: string, lab: string): Promise<LabBundle> {
  const url = join(base, `labs/${lab}.json`);
  const response = await fetchImpl(url);
  if (!response.ok) throw new Error(`the lab "${lab}" is not available in the browser (GET ${url}: ${response.status})`);
  return (await response.json()) as LabBundle;
}

/** The bytes of a stored or wire file (text as UTF-8, binary from its base64). */
export function fileBytes(f: LabFile): string | Uint8Array {
  if (!f.binary) return f.contents;
  const raw = atob(f.contents);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** The solution as the learner would have it: the starter with the solution's files laid over it. */
export function solutionOf(bundle: LabBundle): WireFile[] {
  const files = new Map(bundle.starter.map((f) => [f.path, f]));
  for (const f of bundle.solution) files.set(f.path, f);
  return [...files.values()].sort((a, b) => a.path.localeCompare(b.path));
}
