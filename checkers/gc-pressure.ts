// gc-pressure: a product API that allocates hundreds of kilobytes to build a ~6.5 KiB answer,
// and keeps a 100,000-product catalog as ~630,000 small objects full of pointers that the
// garbage collector must scan on every cycle. The checker counts what the Go runtime counts
// (runtime/metrics, read from the admin listener), never time.
//
// Before the server starts, the checker writes a fresh catalog ($CATALOG, 100,000 products with
// random ids, different for every check) into the check's directory; the server loads it.
//   - serves:              GET /products?ids=... answers the right products, in order
//                          (1 id, 48 ids), and 404 for an id that is not in the catalog
//   - correct-under-load:  600 requests of 48 random ids each over 8 keep-alive connections:
//                          every answer is 200 with exactly the products asked for
//   - alloc-per-request:   heap bytes allocated during that load (/gc/heap/allocs:bytes, after
//                          minus before) divided by the requests: at most 32 KiB per request.
//                          An answer is ~6.5 KiB; net/http itself needs ~3 KiB per request.
//                          The starter allocates ~380 KiB (string concatenation is quadratic),
//                          the solution (a pooled buffer) ~3 KiB.
//   - heap-scan:           after a full collection (runtime.GC via the admin listener), the
//                          scannable heap (/gc/scan/heap:bytes, the bytes the GC must scan for
//                          pointers) is at most 4 MiB. The starter's map of *Product holds ~14
//                          MiB of pointer-bearing memory; a pointer-free cache ~0.1 MiB.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpRequest, type Outcome } from './core/http/conn.js';
import type { RawResponse } from './core/http/parser.js';
import { variedLoad, type VariedLoadResult } from './core/load/varied.js';
import { M, delta, readRuntimeMetrics, type RuntimeMetrics } from './core/runtime-metrics.js';
import { defineChecker, scenario, type ScenarioContext } from './core/spec.js';

const PRODUCTS = 100_000;
const CATALOG_FILE = 'catalog.jsonl';
const IDS_PER_REQUEST = 48; // ~6.5 KiB of JSON per answer
const REQUESTS = 600;
const CONNECTIONS = 8;
const ALLOC_BUDGET = 32 << 10; // bytes per request
const SCAN_BUDGET = 4 << 20; // scannable heap bytes after a full GC

// ---- the catalog: generated from a seed taken from the check's temp dir (random per check) ----

const adjectives = ['Walnut', 'Oak', 'Brushed', 'Matte', 'Compact', 'Folding', 'Vintage', 'Nordic', 'Heavy-duty', 'Quiet', 'Slim', 'Classic'];
const materials = ['steel', 'linen', 'ceramic', 'bamboo', 'leather', 'glass', 'cotton', 'copper', 'wool', 'cork'];
const nouns = ['desk lamp', 'stool', 'kettle', 'backpack', 'notebook', 'planter', 'shelf', 'blanket', 'mug', 'clock', 'tray', 'vase'];
const categories = ['lighting', 'furniture', 'kitchen', 'bags', 'stationery', 'garden', 'storage', 'textiles'];
const tagWords = ['new', 'sale', 'eco', 'gift', 'bestseller', 'handmade', 'limited', 'bundle', 'outlet', 'premium'];

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seedOf = (tmpDir: string) => createHash('sha256').update(tmpDir).digest().readUInt32LE(0);

interface Catalog {
  /** product ids, by position in the file */
  ids: number[];
  /** each product's JSON line, exactly as encoding/json writes a Product */
  json: string[];
  /** an id that is not in the catalog */
  unknownId: number;
}

function makeCatalog(seed: number): Catalog {
  const r = prng(seed);
  const pick = (xs: string[]) => xs[Math.floor(r() * xs.length)]!;
  const ids: number[] = new Array(PRODUCTS);
  const json: string[] = new Array(PRODUCTS);
  // Ids are sparse: a gap of 1 to 37 between neighbours.
  let id = 1000;
  for (let i = 0; i < PRODUCTS; i++) {
    id += 1 + Math.floor(r() * 37);
    const sku = `SKU-${Math.floor(r() * 0xffffffff).toString(16).toUpperCase().padStart(8, '0')}`;
    const name = `${pick(adjectives)} ${pick(materials)} ${pick(nouns)}`;
    const category = pick(categories);
    const price = 199 + Math.floor(r() * 50_000);
    const stock = Math.floor(r() * 500);
    let tags = `"${pick(tagWords)}"`;
    for (let t = Math.floor(r() * 4); t > 0; t--) tags += `,"${pick(tagWords)}"`;
    ids[i] = id;
    json[i] = `{"id":${id},"sku":"${sku}","name":"${name}","category":"${category}","price_cents":${price},"stock":${stock},"tags":[${tags}]}`;
  }
  return { ids, json, unknownId: id + 1 };
}

// The catalog written by `prepare`, kept for the scenarios of the same check (keyed by its temp
// dir; at most two kept, so a check that ended early leaks nothing for long).
const catalogs = new Map<string, Catalog>();

function remember(tmpDir: string, c: Catalog): Catalog {
  while (catalogs.size >= 2) catalogs.delete(catalogs.keys().next().value!);
  catalogs.set(tmpDir, c);
  return c;
}

function catalogOf(ctx: ScenarioContext): Catalog {
  return catalogs.get(ctx.tmpDir) ?? remember(ctx.tmpDir, makeCatalog(seedOf(ctx.tmpDir)));
}

/** `count` distinct random catalog positions. */
function sample(r: () => number, count: number): number[] {
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(r() * PRODUCTS));
  return [...picked];
}

const pathFor = (c: Catalog, positions: number[]) => `/products?ids=${positions.map((i) => c.ids[i]).join(',')}`;

/** Is `body` the JSON array of exactly these products, in this order? Byte-exact first, then field by field. */
function answerIsRight(c: Catalog, positions: number[], body: Buffer): boolean {
  const text = body.toString('utf8');
  if (text === `[${positions.map((i) => c.json[i]).join(',')}]`) return true;
  let got: unknown;
  try {
    got = JSON.parse(text);
  } catch {
    return false;
  }
  if (!Array.isArray(got) || got.length !== positions.length) return false;
  return positions.every((pos, k) => {
    const want = JSON.parse(c.json[pos]!) as { id: number; sku: string; name: string; category: string; price_cents: number; stock: number; tags: string[] };
    const g = got[k] as Record<string, unknown> | null;
    return (
      !!g &&
      g.id === want.id &&
      g.sku === want.sku &&
      g.name === want.name &&
      g.category === want.category &&
      g.price_cents === want.price_cents &&
      g.stock === want.stock &&
      Array.isArray(g.tags) &&
      g.tags.length === want.tags.length &&
      g.tags.every((t, n) => t === want.tags[n])
    );
  });
}

// ---- measurements ----

interface Serves {
  one: Outcome & { right: boolean };
  many: Outcome & { right: boolean };
  unknown: Outcome;
}

interface Load {
  load: VariedLoadResult;
  right: number;
  wrong: { i: number; status: number; body: string }[];
  allocBytes: number;
  allocObjects: number;
  gcCycles: number;
  gcCpuSeconds: number;
  heapGoal: number;
}

interface Scan {
  scanHeap: number;
  heapLive: number;
  heapObjects: number;
}

const KiB = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const MiB = (n: number) => `${(n / (1 << 20)).toFixed(1)} MiB`;
const perRequest = (m: Load) => m.allocBytes / Math.max(1, m.load.answered);
const loadComplete = (m: Load) => m.load.answered === REQUESTS && m.right === REQUESTS;
const show = (o: Outcome, right?: boolean) =>
  o.response ? `${o.response.status}${o.response.status === 200 ? (right ? ' (right products)' : ' (NOT the products asked for)') : ''}` : `no answer (${o.error})`;

export default defineChecker({
  lab: 'gc-pressure',
  server: { admin: true, env: { CATALOG: CATALOG_FILE }, startTimeoutMs: 20_000 },
  prepare: async ({ tmpDir }) => {
    const c = remember(tmpDir, makeCatalog(seedOf(tmpDir)));
    writeFileSync(join(tmpDir, CATALOG_FILE), c.json.join('\n') + '\n');
  },
  scenarios: [
    scenario<Serves>({
      title: 'The API answers the products asked for',
      deadlineMs: 8000,
      run: async (ctx) => {
        const c = catalogOf(ctx);
        const { host, port } = ctx.server;
        const r = prng(seedOf(ctx.tmpDir) ^ 0x5eed);
        const onePos = sample(r, 1);
        const manyPos = sample(r, IDS_PER_REQUEST);
        const one = await httpRequest(host, port, { path: pathFor(c, onePos) }, 4000);
        const many = await httpRequest(host, port, { path: pathFor(c, manyPos) }, 4000);
        const unknown = await httpRequest(host, port, { path: `/products?ids=${c.ids[onePos[0]!]},${c.unknownId}` }, 4000);
        const right = (o: Outcome, pos: number[]) => o.ok && o.response!.status === 200 && answerIsRight(c, pos, o.response!.body);
        return { one: { ...one, right: right(one, onePos) }, many: { ...many, right: right(many, manyPos) }, unknown };
      },
      checks: [
        {
          id: 'serves',
          title: 'GET /products answers the right products, and 404 for an unknown id',
          expected: `1 id: 200 and that product; ${IDS_PER_REQUEST} ids: 200 and those products in order; an id not in the catalog: 404`,
          measured: (m) => `1 id: ${show(m.one, m.one.right)}; ${IDS_PER_REQUEST} ids: ${show(m.many, m.many.right)}; unknown id: ${m.unknown.response?.status ?? `no answer (${m.unknown.error})`}`,
          pass: (m) => m.one.right && m.many.right && m.unknown.response?.status === 404,
          explanation: 'the answers must stay exactly what they were: the same products, fields and order, loaded from $CATALOG at start-up',
          hint: 'change how the catalog is stored and how the answer is assembled, not what it contains',
        },
      ],
    }),
    scenario<Load>({
      title: `${REQUESTS} requests of ${IDS_PER_REQUEST} products each, counted by the Go runtime`,
      deadlineMs: 20_000,
      run: async (ctx) => {
        const c = catalogOf(ctx);
        const r = prng(seedOf(ctx.tmpDir) ^ 0x10ad);
        const asks = Array.from({ length: REQUESTS }, () => sample(r, IDS_PER_REQUEST));
        const wrong: Load['wrong'] = [];
        let right = 0;
        const before = await readRuntimeMetrics(ctx.server);
        ctx.progress(`${REQUESTS} requests over ${CONNECTIONS} connections`);
        const load = await variedLoad({
          host: ctx.server.host,
          port: ctx.server.port,
          connections: CONNECTIONS,
          requests: REQUESTS,
          request: (i) => ({ path: pathFor(c, asks[i]!) }),
          onResponse: (i, res: RawResponse) => {
            if (res.status === 200 && answerIsRight(c, asks[i]!, res.body)) right++;
            else if (wrong.length < 3) wrong.push({ i, status: res.status, body: res.body.toString('utf8').slice(0, 80) });
          },
          timeoutMs: 5000,
          signal: ctx.signal,
        });
        const after: RuntimeMetrics = await readRuntimeMetrics(ctx.server);
        return {
          load,
          right,
          wrong,
          allocBytes: delta(before, after, M.allocBytes),
          allocObjects: delta(before, after, M.allocObjects),
          gcCycles: delta(before, after, M.gcCycles),
          gcCpuSeconds: delta(before, after, M.gcCpu),
          heapGoal: after[M.heapGoal] ?? 0,
        };
      },
      checks: [
        {
          id: 'correct-under-load',
          title: 'Every answer under load holds exactly the products asked for',
          expected: `${REQUESTS} of ${REQUESTS} requests (${CONNECTIONS} connections, ${IDS_PER_REQUEST} random ids each) answered 200 with the right products`,
          measured: (m) => {
            const errs = Object.entries(m.load.errors).map(([k, v]) => `${v} × ${k}`);
            let line = `${m.right} of ${REQUESTS} right`;
            if (m.load.answered < REQUESTS) line += `, ${REQUESTS - m.load.answered} unanswered${errs.length ? ` (${errs.join(', ')})` : ''}`;
            const bad = m.load.answered - m.right;
            if (bad > 0) line += `, ${bad} wrong (first: #${m.wrong[0]?.i} ${m.wrong[0]?.status} ${JSON.stringify(m.wrong[0]?.body)})`;
            return `${line}, in ${(m.load.durationMs / 1000).toFixed(1)} s`;
          },
          pass: (m) => loadComplete(m),
          explanation: (m, passed) =>
            passed
              ? 'reused buffers never leak one answer into another'
              : m.load.answered - m.right > 0
                ? 'some answers held products of another request, or garbled bytes: a buffer went back to the pool (or was reset) while the response was still being written from it'
                : 'the server did not answer every request in time',
          hint: 'a pooled buffer belongs to one request from Get until after w.Write has returned: Put it back last (defer), and never keep a slice of it',
        },
        {
          id: 'alloc-per-request',
          title: `A request allocates at most ${ALLOC_BUDGET >> 10} KiB`,
          expected: `heap bytes allocated during the load (/gc/heap/allocs:bytes) / requests <= ${ALLOC_BUDGET >> 10} KiB (an answer is ~6.5 KiB)`,
          measured: (m) =>
            `${KiB(perRequest(m))} and ${Math.round(m.allocObjects / Math.max(1, m.load.answered))} objects per request (${MiB(m.allocBytes)} for ${m.load.answered} requests); ` +
            `${m.gcCycles} GC cycles, ${Math.round((m.gcCycles * 1000) / Math.max(1, m.load.answered))} per 1000 requests, ${m.gcCpuSeconds.toFixed(2)} s of GC CPU`,
          pass: (m) => loadComplete(m) && m.allocBytes > 0 && perRequest(m) <= ALLOC_BUDGET,
          explanation: (m, passed) =>
            passed
              ? 'the answer is assembled in memory that is reused, so the heap grows slowly and the GC runs rarely'
              : !loadComplete(m)
                ? `not judged: the load did not complete (${m.right} of ${REQUESTS} right answers)`
                : `every request leaves ${KiB(perRequest(m))} of garbage: the GC runs again each time the heap grows by GOGC% (100% by default) of the live heap, here ${m.gcCycles} times in ${m.load.answered} requests. ` +
                  'Building a string with += copies everything built so far, at every step (48 products: ~320 KiB of copies for a 6.5 KiB answer). Switching the GC off or tuning GOGC changes when the garbage is collected, not how much is made',
          hint: 'build the answer once, in a *bytes.Buffer from a sync.Pool (Get, Reset, write, w.Write, Put), and write the products\' JSON straight into it; no string +=, no string(b) copies',
        },
      ],
    }),
    scenario<Scan>({
      title: 'After a full collection: how much of the heap must the GC scan?',
      deadlineMs: 8000,
      run: async (ctx) => {
        catalogs.delete(ctx.tmpDir);
        const m = await readRuntimeMetrics(ctx.server, { gc: true });
        return { scanHeap: m[M.scanHeap]!, heapLive: m[M.heapLive] ?? 0, heapObjects: m[M.heapObjects] ?? 0 };
      },
      checks: [
        {
          id: 'heap-scan',
          title: `The cache is not scanned by the GC (scannable heap <= ${SCAN_BUDGET >> 20} MiB)`,
          expected: `after runtime.GC(), /gc/scan/heap:bytes <= ${MiB(SCAN_BUDGET)} with the ${PRODUCTS.toLocaleString('en')} products in memory`,
          measured: (m) => `scannable heap ${MiB(m.scanHeap)} of ${MiB(m.heapLive)} live, in ${m.heapObjects.toLocaleString('en')} objects`,
          pass: (m) => m.scanHeap > 0 && m.scanHeap <= SCAN_BUDGET,
          explanation: (m, passed) =>
            passed
              ? 'the catalog sits in memory without pointers: the GC marks each of its few big objects and never looks inside them'
              : `every GC cycle must follow ${MiB(m.scanHeap)} of pointer-bearing memory in ${m.heapObjects.toLocaleString('en')} objects: each product is a struct, its strings and a []string, all linked by pointers that the mark phase reads one by one (and pays for again on every cycle, with CPU taken from the requests)`,
          hint: 'store the catalog without pointers: render each product once into one big []byte and keep a map[int]struct{off, len uint32} (integers only) into it; a map whose keys and values hold no pointers is not scanned either',
        },
      ],
    }),
  ],
});
