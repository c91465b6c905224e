// streaming-gzip: an inventory export (GET /export?rows=N, CSV, ~18 MB for 200,000 rows) that
// loads every row, renders the whole file into a bytes.Buffer and only then writes it, with a
// Content-Length and no compression.
//
// Scenario 1, one fast client at a time (after a warm-up export of 100 rows), N = 200,000 rows
// (at least 100,000 in the browser):
//   - export-identity:  without Accept-Encoding, 200 with no Content-Encoding and the exact CSV
//                       (the header, the known first row, N + 1 lines)
//   - gzip-honoured:    with Accept-Encoding: gzip, 200 with Content-Encoding: gzip and
//                       Vary: Accept-Encoding, a body that gunzips to exactly the identity body
//                       (same SHA-256) and that is at most half its size on the wire
//   - first-byte-fast:  the response head arrives within 20% of the time the whole download
//                       takes, with gzip and without (the better of two plain downloads)
//                       (starter: 55 to 90%, it renders everything first; a streaming server:
//                       a few %)
// Scenario 2, four slow readers at once (two with gzip, two without), each reading 64 KiB every
// 100 ms, for up to 5 s:
//   - memory-bounded:   the live heap (HeapAlloc right after a forced GC, from
//                       /debug/pprof/heap?gc=1&debug=1 on the admin listener, every 250 ms; the
//                       second-highest sample counts) grows by less than 40% of an export body
//                       per download over its baseline
//                       (starter: ~270% per download, the check stops once it passes 3 budgets;
//                       a streaming server: ~6%, mostly the two gzip compressors' state)
import { download, type Download } from './core/http/download.js';
import { httpRequest } from './core/http/conn.js';
import { sleep } from './core/net.js';
import { tryProcStats } from './core/observe.js';
import { defineChecker, scenario, type Capabilities } from './core/spec.js';
import type { LabServer } from './core/supervisor.js';

const rowsFor = (caps: Capabilities) => Math.max(100_000, Math.round(200_000 * caps.loadScale));
/** store.go's first two lines, byte for byte */
const HEADER = 'id,sku,name,category,warehouse,qty,price_cents,updated_at\n';
const FIRST_ROW = '1,SKU-40000000,"compact mice, model 4345",mice,AMS-1,771,202,2026-01-01T00:00:00Z\n';
const GZIP_MAX_RATIO = 0.5;
const HEAD_MAX_SHARE = 0.2;
const SLOW_READERS = [true, false, true, false]; // Accept-Encoding: gzip?
const PACE = { bytes: 64 * 1024, pauseMs: 100 };
const SLOW_WINDOW_MS = 5000;
const SLOW_MIN_BYTES = 256 * 1024;
const SAMPLE_MS = 250;
/** the memory budget per concurrent download, in export bodies */
const BUDGET_PER_DOWNLOAD = 0.4;

const MB = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
const exportPath = (rows: number) => `/export?rows=${rows}`;
const header = (d: Download, name: string) => {
  const v = d.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};

interface Fetches {
  rows: number;
  identity: Download;
  gzip: Download;
  /** a second identity download, for timing only: first-byte-fast takes the better of the two */
  identity2: Download;
}

function describeDownload(d: Download): string {
  if (d.status === undefined) return `no answer: ${d.error}`;
  const parts = [`${d.status}`];
  parts.push(`Content-Encoding: ${header(d, 'content-encoding') ?? '(none)'}`);
  parts.push(`${MB(d.wireBytes)} on the wire`);
  if (!d.complete) parts.push(`cut short: ${d.error}`);
  return parts.join(', ');
}

function identityProblem(f: Fetches): string | undefined {
  const d = f.identity;
  if (d.status !== 200) return d.status === undefined ? `no answer: ${d.error}` : `status ${d.status}`;
  const ce = header(d, 'content-encoding');
  if (ce && ce.toLowerCase() !== 'identity') return `Content-Encoding: ${ce} for a client that did not send Accept-Encoding`;
  if (!d.complete) return `the body was cut short after ${MB(d.wireBytes)}: ${d.error}`;
  if (!d.body.head.startsWith(HEADER + FIRST_ROW)) return `the body does not start with the CSV header and the first row: ${JSON.stringify(d.body.head.slice(0, 80))}`;
  if (d.body.lines !== f.rows + 1) return `${d.body.lines} lines, expected ${f.rows + 1} (the header and ${f.rows} rows)`;
  return undefined;
}

function gzipProblem(f: Fetches): string | undefined {
  const d = f.gzip;
  if (d.status !== 200) return d.status === undefined ? `no answer: ${d.error}` : `status ${d.status}`;
  const ce = header(d, 'content-encoding') ?? '';
  if (!/^\s*gzip\s*$/i.test(ce)) return `Content-Encoding: ${ce || '(none)'}: the body was not compressed`;
  const vary = header(d, 'vary') ?? '';
  if (!/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(vary)) return `no Vary: Accept-Encoding (Vary: ${vary || '(none)'}): a cache would hand this gzip body to clients that cannot read it`;
  if (!d.complete) return `the body was cut short after ${MB(d.wireBytes)} on the wire: ${d.error}`;
  if (d.body.error) return `the body is not valid gzip: ${d.body.error}`;
  if (f.identity.status === 200 && f.identity.complete && d.body.sha256 !== f.identity.body.sha256)
    return `it gunzips to ${MB(d.body.bytes)} (${d.body.lines} lines) that differ from the identity body (${MB(f.identity.body.bytes)})`;
  if (!d.body.head.startsWith(HEADER + FIRST_ROW) || d.body.lines !== f.rows + 1) return `it gunzips to something else than the export (${d.body.lines} lines)`;
  if (d.wireBytes > GZIP_MAX_RATIO * d.body.bytes) return `${MB(d.wireBytes)} on the wire for ${MB(d.body.bytes)} of CSV: not compressed`;
  return undefined;
}

const share = (d: Download) => (d.headMs !== undefined && d.totalMs > 0 ? d.headMs / d.totalMs : 1);
/** the plain download with the smaller head share (a complete 200 only) */
const bestIdentity = (f: Fetches) =>
  f.identity2.status === 200 && f.identity2.complete && share(f.identity2) < share(f.identity) ? f.identity2 : f.identity;

/**
 * The live heap: pprof's heap profile with gc=1 runs a full GC first, and its debug=1 text ends
 * with runtime.MemStats, whose HeapAlloc is then the memory still referenced. Garbage waiting
 * for the next GC does not count, so the GC's own slack (a 4 MB minimum heap goal) is not
 * mistaken for memory the handler holds.
 */
async function liveHeap(server: LabServer): Promise<number> {
  const r = await httpRequest('127.0.0.1', server.adminPort!, { path: '/debug/pprof/heap?gc=1&debug=1' }, 5000);
  if (!r.ok || r.response!.status !== 200) throw new Error(`admin /debug/pprof/heap answered ${r.response?.status ?? r.error} (is admin.go intact?)`);
  const m = /^# HeapAlloc = (\d+)$/m.exec(r.response!.body.toString('utf8'));
  if (!m) throw new Error('admin /debug/pprof/heap?debug=1 has no "# HeapAlloc = N" line');
  return Number(m[1]);
}

interface Memory {
  rows: number;
  bodyBytes: number;
  baseline: number;
  /**
   * the second-highest sample: memory a handler holds stays up for many samples, while one
   * sample can catch a burst of allocation in flight during the forced GC on a loaded machine
   */
  peak: number;
  /** the highest sample */
  max: number;
  peakRss?: number;
  baselineRss?: number;
  readers: Download[];
  /** stopped as soon as the budget was blown three times over */
  stoppedEarly?: boolean;
  series: { x: number[]; y: number[] };
}

const growth = (m: Memory) => Math.max(0, m.peak - m.baseline);
const budget = (m: Memory) => BUDGET_PER_DOWNLOAD * SLOW_READERS.length * m.bodyBytes;

export default defineChecker({
  lab: 'streaming-gzip',
  scenarios: [
    scenario<Fetches>({
      title: 'The export, without and with Accept-Encoding: gzip',
      deadlineMs: 20_000,
      run: async ({ server, caps, signal, state, progress }) => {
        const rows = rowsFor(caps);
        const common = { host: server.host, port: server.port, path: exportPath(rows), timeoutMs: 12_000, signal };
        // A small export first: the first request of a process (and of this checker) pays for
        // lazy initialisation on both sides, which is not what first-byte-fast measures.
        await download({ ...common, path: exportPath(100), timeoutMs: 3000 });
        const identity = await download({ ...common });
        progress(`identity: ${describeDownload(identity)}`);
        const gzip = await download({ ...common, headers: { 'Accept-Encoding': 'gzip' } });
        progress(`gzip: ${describeDownload(gzip)}`);
        const identity2 = await download({ ...common });
        if (identity.complete && identity.body.bytes > 0) state.set('bodyBytes', identity.body.bytes);
        return { rows, identity, gzip, identity2 };
      },
      checks: [
        {
          id: 'export-identity',
          title: 'Without Accept-Encoding: the plain CSV',
          expected: (f) => `200, no Content-Encoding, the header and ${f.rows} rows (${f.rows + 1} lines)`,
          measured: (f) => identityProblem(f) ?? `${describeDownload(f.identity)}, ${f.identity.body.lines} lines`,
          pass: (f) => identityProblem(f) === undefined,
          explanation: (f, passed) =>
            passed
              ? 'a client that did not ask for compression gets the bytes it can read'
              : /Content-Encoding/.test(identityProblem(f) ?? '')
                ? 'a client that sent no Accept-Encoding (curl, a script, an old library) cannot decode gzip: it saves binary garbage as inventory.csv'
                : 'the export itself must stay exactly what it was: same header, same rows, same bytes',
          hint: 'compress only when the request\'s Accept-Encoding lists gzip; otherwise write the CSV as it is',
        },
        {
          id: 'gzip-honoured',
          title: 'With Accept-Encoding: gzip, a gzip body identical once decoded',
          expected: `200, Content-Encoding: gzip, Vary: Accept-Encoding, at most ${GZIP_MAX_RATIO * 100}% of the CSV's size on the wire, gunzipping to the identity body byte for byte`,
          measured: (f) =>
            gzipProblem(f) ?? `${describeDownload(f.gzip)} for ${MB(f.gzip.body.bytes)} of CSV (${Math.round((100 * f.gzip.wireBytes) / f.gzip.body.bytes)}%), same SHA-256 as the identity body`,
          pass: (f) => gzipProblem(f) === undefined,
          explanation: (f, passed) => {
            if (passed) return 'CSV compresses well: the client downloads a fraction of the bytes, and gets exactly the same file';
            const problem = gzipProblem(f) ?? '';
            if (/cut short/.test(problem))
              return 'the response ended before its body did. A Content-Length left over from the uncompressed body announces more bytes than the gzip stream has; net/http then closes the connection and the client sees a truncated download';
            if (/not valid gzip/.test(problem))
              return 'gzip.Writer.Flush ends a deflate block, but only Close writes the final block and the gzip trailer (CRC-32 and length): without it, every decoder reports a truncated stream';
            if (/Vary/.test(problem))
              return 'the same URL now has two representations; without Vary: Accept-Encoding a shared cache (CDN, proxy) may store the gzip one and serve it to a client that never asked for gzip';
            if (/differ|something else/.test(problem)) return 'compression must not change the content: the decoded body has to be the identity body, byte for byte';
            return 'net/http never compresses responses by itself: the handler (or a middleware) must gzip when the client asks, and mark the response with Content-Encoding and Vary';
          },
          hint: 'wrap the ResponseWriter in a gzip.Writer when Accept-Encoding lists gzip; set Content-Encoding: gzip and Vary: Accept-Encoding, remove Content-Length, and Close the gzip.Writer at the end',
        },
        {
          id: 'first-byte-fast',
          title: 'The response starts before the export is finished',
          expected: `the response head within ${HEAD_MAX_SHARE * 100}% of the time the whole download takes, with gzip and without (the better of two plain downloads, so that one scheduling hiccup does not count)`,
          measured: (f) =>
            [['identity', bestIdentity(f)] as const, ['gzip', f.gzip] as const]
              .map(([name, d]) => (d.headMs === undefined ? `${name}: no response head (${d.error})` : `${name}: head after ${d.headMs} ms of ${d.totalMs} ms (${Math.round(100 * share(d))}%)`))
              .join('; '),
          pass: (f) => {
            const id = bestIdentity(f);
            if (id.headMs === undefined || f.gzip.headMs === undefined) return false;
            return share(id) <= HEAD_MAX_SHARE && share(f.gzip) <= HEAD_MAX_SHARE;
          },
          explanation: (f, passed) =>
            passed
              ? 'rows leave as they are rendered: the client sees the download start at once, and no proxy or client timeout fires while the server is still rendering'
              : 'the server renders the whole export before it sends the status line, so the client sees nothing for most of the download; a proxy with a response-header timeout, or an impatient user, gives up first',
          hint: 'write each row to the ResponseWriter (through csv.Writer and, when asked, gzip.Writer) as you read it, instead of into a bytes.Buffer; flush once after the header so the response starts at once',
        },
      ],
    }),
    scenario<Memory>({
      title: `${SLOW_READERS.length} slow downloads at once`,
      deadlineMs: 15_000,
      run: async ({ server, caps, signal, state, progress }) => {
        const rows = rowsFor(caps);
        const bodyBytes = (state.get('bodyBytes') as number | undefined) ?? rows * 94;
        const baseline = await liveHeap(server);
        const baselineRss = tryProcStats(server.pid)?.rssBytes;
        const t0 = Date.now();
        const m: Memory = { rows, bodyBytes, baseline, peak: baseline, max: baseline, baselineRss, peakRss: baselineRss, readers: [], series: { x: [0], y: [baseline] } };
        const top2 = [baseline, baseline];
        const stopReaders = new AbortController();
        const onAbort = () => stopReaders.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        const got = SLOW_READERS.map(() => 0);
        const readers = SLOW_READERS.map((gz, i) =>
          download({
            host: server.host,
            port: server.port,
            path: exportPath(rows),
            headers: gz ? { 'Accept-Encoding': 'gzip' } : {},
            decode: false,
            pace: PACE,
            timeoutMs: SLOW_WINDOW_MS + 3000,
            signal: stopReaders.signal,
            onData: (n) => (got[i] = n),
          }),
        );
        // Sample the live heap until every client has read SLOW_MIN_BYTES and one more second
        // has passed, or the budget is blown three times over (the verdict cannot change), or
        // the window ends.
        let allReadingAt: number | undefined;
        while (Date.now() - t0 < SLOW_WINDOW_MS && !signal.aborted && !server.exitInfo()) {
          try {
            const h = await liveHeap(server);
            if (h > top2[0]!) top2.splice(0, 2, h, top2[0]!);
            else if (h > top2[1]!) top2[1] = h;
            m.max = top2[0]!;
            m.peak = top2[1]!;
            m.series.x.push(Math.round((Date.now() - t0) / 10) / 100);
            m.series.y.push(h);
          } catch {
            /* a missed sample */
          }
          const rss = tryProcStats(server.pid)?.rssBytes;
          if (rss !== undefined) m.peakRss = Math.max(m.peakRss ?? 0, rss);
          if (growth(m) > 3 * budget(m)) {
            m.stoppedEarly = true;
            break;
          }
          if (allReadingAt === undefined && got.every((b) => b >= SLOW_MIN_BYTES)) allReadingAt = Date.now();
          if (allReadingAt !== undefined && Date.now() - allReadingAt >= 1000) break;
          await sleep(SAMPLE_MS, signal);
        }
        progress(`live heap held ${MB(m.peak)} (baseline ${MB(baseline)})`);
        stopReaders.abort();
        m.readers = await Promise.all(readers);
        signal.removeEventListener('abort', onAbort);
        return m;
      },
      checks: [
        {
          id: 'memory-bounded',
          title: 'Memory does not grow with the export or the number of downloads',
          expected: (m) =>
            `while ${SLOW_READERS.length} slow clients download the export (each reading at least ${SLOW_MIN_BYTES / 1024} KiB), the live heap grows by less than ${BUDGET_PER_DOWNLOAD * 100}% of an export body per download (${MB(budget(m))} in all)`,
          measured: (m) => {
            const got = m.readers.map((d) => d.wireBytes);
            const rss = m.peakRss !== undefined && m.baselineRss !== undefined ? `, RSS ${MB(m.baselineRss)} → ${MB(m.peakRss)}` : '';
            const early = m.stoppedEarly ? ` when the checker stopped (the budget was exceeded ${Math.floor(growth(m) / budget(m))} times over)` : '';
            const perDownload = growth(m) / m.bodyBytes / SLOW_READERS.length;
            return `live heap ${MB(m.baseline)} → ${MB(m.peak)} (in two samples or more; highest ${MB(m.max)}): +${MB(growth(m))}, ${Math.round(perDownload * 100)}% of an export body per download${rss}; the clients had read ${got.map((b) => `${Math.round(b / 1024)} KiB`).join(', ')}${early}`;
          },
          pass: (m) => {
            if (growth(m) >= budget(m)) return false;
            // Passing needs the downloads to have really run.
            const ran = m.readers.length === SLOW_READERS.length && m.readers.every((d) => d.status === 200 && d.wireBytes >= SLOW_MIN_BYTES);
            return ran ? true : 'inconclusive';
          },
          explanation: (m, passed) =>
            passed
              ? 'each download holds a few buffers of a few KiB (csv.Writer, gzip.Writer, the ResponseWriter\'s bufio.Writer), whatever the size of the export: slow clients cost connections, not memory'
              : `every download holds the whole export in memory (the rows, then the rendered CSV) until its slow client has read the last byte: here the live heap grew by ${(growth(m) / m.bodyBytes).toFixed(1)} export bodies for ${SLOW_READERS.length} downloads${m.stoppedEarly ? ', and was still growing' : ''}. A few more clients, or a bigger export, and the process is OOM-killed`,
          hint: 'iterate with scan(n, fn) and write each row as it comes, instead of loadAll + bytes.Buffer; compress with a gzip.Writer that writes into the ResponseWriter, not into another buffer',
          series: (m) => [{ name: 'live heap', kind: 'line', x: m.series.x, y: m.series.y.map((b) => Math.round(b / 1048576)), xLabel: 's', yLabel: 'MB' }],
        },
      ],
    }),
  ],
});
