// header-timeouts: a server "protected" from slowloris by global ReadTimeout and WriteTimeout
// of 5 s also cuts every legitimate request that needs longer: a slow upload and a long,
// streamed export. The fix keeps slow clients out (a short ReadHeaderTimeout, tight default
// deadlines) and gives the two slow routes their own deadlines (http.ResponseController).
//
// 1. Baseline: GET / answers 200, POST /notes answers 201, a quick 1 KiB upload is hashed right.
// 2. Everything at once, from the same instant, judged within ~8 s:
//   - slow-headers-closed: 10 connections send a request head at 1 byte / 500 ms; the server
//     closes every one within 7 s (the lab's policy is 5 s for a request head; 2 s of slack).
//   - slow-body-closed:    5 connections send POST /notes with Content-Length 1000 and the body at
//     1 byte / 500 ms; the server answers or closes every one within the same 7 s.
//   - slow-upload:         POST /upload with a 256 KiB body written 8 KiB every 250 ms (~7.8 s);
//     the answer is 200 with the right byte count and SHA-256.
//   - long-download:       GET /export, which the server streams batch by batch for ~7.8 s; the
//     full CSV arrives (3200 rows, in order, final chunk included), the first bytes within 2 s
//     (streamed, not buffered) and the whole export takes at least 6 s (its pacing is unchanged).
// A server with global ReadTimeout/WriteTimeout of 5 s fails the last two; raising them to 10 s
// (or removing them) fails the first two, because ReadHeaderTimeout falls back to ReadTimeout
// and nothing else bounds a request body.
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { SlowBodyAttack } from './core/attacks/slow-body.js';
import { SlowHeaderAttack } from './core/attacks/slow-headers.js';
import { httpRequest, type Outcome } from './core/http/conn.js';
import { pacedUpload, streamedDownload, type PacedUploadResult, type StreamedDownloadResult } from './core/http/paced.js';
import { sleep } from './core/net.js';
import { sampler } from './core/observe.js';
import { defineChecker, scenario } from './core/spec.js';

const SLOW_HEADERS = 10;
const SLOW_BODIES = 5;
const SLOW_CADENCE_MS = 500; // 1 byte every 500 ms: a request head or a 1000-byte body never completes
const CLOSE_BOUND_MS = 7000; // policy: 5 s to send a request head or a small body; 2 s of slack

const UPLOAD_CHUNK = 8 << 10;
const UPLOAD_CHUNKS = 32; // 256 KiB ...
const UPLOAD_CADENCE_MS = 250; // ... written over 31 × 250 ms = 7.75 s
const UPLOAD_ANSWER_MS = 3000;

const EXPORT_ROWS = 3200; // 32 batches of 100 rows, one batch every 250 ms on the server
const EXPORT_FIRST_BYTE_MS = 2000;
const EXPORT_MIN_MS = 6000; // the export is paced by the server: ~7.75 s
const EXPORT_TIMEOUT_MS = 12_000;

/** The upload body: 256 KiB of deterministic bytes (SHA-256 in counter mode). */
function uploadBody(): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; i < (UPLOAD_CHUNK * UPLOAD_CHUNKS) / 32; i++) blocks.push(createHash('sha256').update(`go-ha-labs upload ${i}`).digest());
  return Buffer.concat(blocks);
}

/** What GET /export must return, byte for byte. */
function exportLines(): string[] {
  const lines = ['id,sku,qty'];
  for (let i = 1; i <= EXPORT_ROWS; i++) lines.push(`${i},sku-${String(i).padStart(5, '0')},${(i * 7919) % 1000}`);
  return lines;
}

/** Rows of the export received intact and in order (the header line not counted). */
function rowsInOrder(body: Buffer, expected: string[]): number {
  const got = body.toString('latin1').split('\n');
  let n = 0;
  // Only complete lines count: the last element after the final "\n" is a partial line (or "").
  while (n < expected.length && n < got.length - 1 && got[n] === expected[n]) n++;
  return Math.max(0, n - 1);
}

const s = (ms: number | undefined) => (ms === undefined ? '?' : `${(ms / 1000).toFixed(1)} s`);
const kib = (n: number) => `${Math.round(n / 1024)} KiB`;
const firstLine = (b: Buffer) => JSON.stringify(b.toString('utf8').split('\n')[0]!.slice(0, 80));

interface Together {
  t0: number;
  headers: { connected: number; closedInTime: number; closedLate: number; open: number; slowestMs?: number };
  bodies: { connected: number; stoppedInTime: number; stoppedLate: number; open: number; slowestMs?: number; statuses: string[] };
  upload: PacedUploadResult & { expectedSha: string };
  download: StreamedDownloadResult & { rows: number; exact: boolean };
  endedAtMs: number;
  openSeries: { x: number[]; y: number[] };
}

function uploadVerdict(u: Together['upload']): { ok: boolean; why: string } {
  const r = u.response;
  if (!r) {
    const how = u.closedByServer ? `the server closed the connection (${u.closedByServer.by === 'peer-rst' ? 'RST' : 'FIN'}) after ${s(u.closedByServer.atMs)}` : (u.error ?? 'no answer');
    return { ok: false, why: `no answer: ${how}, with ${kib(u.bytesSent)} of ${kib(u.totalBytes)} written` };
  }
  if (r.status !== 200) return { ok: false, why: `${r.status} ${firstLine(r.body)} after ${s(u.answeredAtMs)}, with ${kib(u.bytesSent)} of ${kib(u.totalBytes)} written` };
  let got: { bytes?: number; sha256?: string } = {};
  try {
    got = JSON.parse(r.body.toString('utf8'));
  } catch {
    return { ok: false, why: `200, but the body is not JSON: ${firstLine(r.body)}` };
  }
  if (got.bytes !== u.totalBytes || got.sha256 !== u.expectedSha) {
    return { ok: false, why: `200, but the server counted ${got.bytes} bytes with SHA-256 ${String(got.sha256).slice(0, 12)}… (sent ${u.totalBytes}, ${u.expectedSha.slice(0, 12)}…)` };
  }
  if (u.sendMs === undefined) return { ok: false, why: `200 before the body was complete (${kib(u.bytesSent)} written)` };
  return { ok: true, why: `200, ${u.totalBytes} bytes, SHA-256 matches, body written over ${s(u.sendMs)}, answered after ${s(u.answeredAtMs)}` };
}

function downloadVerdict(d: Together['download']): { ok: boolean; why: string } {
  const r = d.response;
  if (!r) return { ok: false, why: `no response: ${d.closedByServer ? `connection closed by the server after ${s(d.closedByServer.atMs)}` : d.error}` };
  if (r.status !== 200) return { ok: false, why: `${r.status} ${firstLine(r.body)} after ${s(d.doneMs)}` };
  if (!r.complete) {
    const chunked = /chunked/i.test(r.headers['transfer-encoding'] ?? '') ? ' (a chunked body without its final 0-size chunk)' : '';
    return { ok: false, why: `200, then the connection closed after ${s(d.doneMs)}: ${d.rows} of ${EXPORT_ROWS} rows${chunked}` };
  }
  if (!d.exact) return { ok: false, why: `200 with a complete body that holds ${d.rows} of ${EXPORT_ROWS} rows, after ${s(d.doneMs)}` };
  if ((d.ttfbMs ?? Infinity) > EXPORT_FIRST_BYTE_MS) return { ok: false, why: `all ${EXPORT_ROWS} rows, but the first byte came only after ${s(d.ttfbMs)}: the response was buffered, not streamed` };
  if ((d.doneMs ?? 0) < EXPORT_MIN_MS) return { ok: false, why: `all ${EXPORT_ROWS} rows in ${s(d.doneMs)}: the export must keep its pacing (one batch every 250 ms)` };
  return { ok: true, why: `all ${EXPORT_ROWS} rows, first byte after ${s(d.ttfbMs)}, last after ${s(d.doneMs)}` };
}

export default defineChecker({
  lab: 'header-timeouts',
  server: { admin: false },
  scenarios: [
    scenario({
      title: 'Normal requests, before any slow client',
      deadlineMs: 6000,
      run: async ({ server }) => {
        const body = uploadBody().subarray(0, 1024);
        const index = await httpRequest(server.host, server.port, { path: '/' }, 3000);
        const note = await httpRequest(server.host, server.port, { method: 'POST', path: '/notes', headers: { 'Content-Type': 'application/json' }, body: '{"text":"hello"}' }, 3000);
        const upload = await httpRequest(server.host, server.port, { method: 'POST', path: '/upload', headers: { 'Content-Type': 'application/octet-stream' }, body }, 3000);
        return { index, note, upload, sha: createHash('sha256').update(body).digest('hex') };
      },
      checks: [
        {
          id: 'serves',
          title: 'GET /, POST /notes and a quick POST /upload work',
          expected: 'GET / 200; POST /notes 201; POST /upload of 1 KiB answers 200 with {"bytes":1024,"sha256":...} matching',
          measured: (m) => {
            const one = (name: string, o: Outcome) => `${name} ${o.ok ? o.response!.status : `failed (${o.error})`}`;
            let up = '';
            if (m.upload.ok) {
              try {
                const j = JSON.parse(m.upload.response!.body.toString('utf8'));
                up = j.bytes === 1024 && j.sha256 === m.sha ? ' (hash matches)' : ` (answered ${firstLine(m.upload.response!.body)})`;
              } catch {
                up = ' (not JSON)';
              }
            }
            return `${one('GET /', m.index)}; ${one('POST /notes', m.note)}; ${one('POST /upload', m.upload)}${up}`;
          },
          pass: (m) => {
            if (!m.index.ok || m.index.response!.status !== 200) return false;
            if (!m.note.ok || m.note.response!.status !== 201) return false;
            if (!m.upload.ok || m.upload.response!.status !== 200) return false;
            try {
              const j = JSON.parse(m.upload.response!.body.toString('utf8'));
              return j.bytes === 1024 && j.sha256 === m.sha;
            } catch {
              return false;
            }
          },
          explanation: 'the routes must work, and keep answering what they answered, before slow clients are measured',
          hint: 'change the deadlines, not what the routes return',
        },
      ],
    }),
    scenario<Together>({
      title: 'Slow headers, slow bodies, a slow upload and a long export, all at once',
      deadlineMs: 14_000,
      run: async ({ server, signal, progress }) => {
        const stop = new AbortController();
        setMaxListeners(0, stop.signal);
        signal.addEventListener('abort', () => stop.abort(), { once: true });
        const { host, port } = server;
        const heads = new SlowHeaderAttack({ host, port, connections: SLOW_HEADERS, cadenceMs: SLOW_CADENCE_MS, signal: stop.signal });
        const bodies = new SlowBodyAttack({ host, port, connections: SLOW_BODIES, path: '/notes', contentLength: 1000, cadenceMs: SLOW_CADENCE_MS, signal: stop.signal });
        const body = uploadBody();
        const expected = exportLines();
        const t0 = Date.now();
        const open = sampler(() => heads.stillOpen() + bodies.conns.filter((c) => c.conn?.isOpen && !c.answered).length, 250);
        try {
          const uploadP = pacedUpload({
            host,
            port,
            request: { method: 'POST', path: '/upload', headers: { 'Content-Type': 'application/octet-stream' } },
            body,
            chunk: UPLOAD_CHUNK,
            cadenceMs: UPLOAD_CADENCE_MS,
            answerTimeoutMs: UPLOAD_ANSWER_MS,
            signal: stop.signal,
          });
          const downloadP = streamedDownload({ host, port, request: { path: '/export' }, timeoutMs: EXPORT_TIMEOUT_MS, signal: stop.signal });
          await Promise.all([heads.start(), bodies.start()]);
          progress(`${heads.connected()} slow-header and ${bodies.connected()} slow-body connections open; uploading and downloading`);
          let settled = 0;
          uploadP.then(() => settled++);
          downloadP.then(() => settled++);
          // Until the upload and the export are over, and every slow connection is closed or past the bound.
          while (!signal.aborted) {
            const slowDone = heads.stillOpen() === 0 && bodies.stopped() === bodies.connected();
            if (settled === 2 && (slowDone || Date.now() - t0 > CLOSE_BOUND_MS + 500)) break;
            await sleep(100, signal);
          }
          const endedAtMs = Date.now() - t0;
          stop.abort();
          const [upload, download] = await Promise.all([uploadP, downloadP]);
          const headTimes = heads.conns.flatMap((c) => (c.closedByServer ? [c.closedByServer.atMs] : []));
          const bodyStops = bodies.conns.flatMap((c) => {
            const at = SlowBodyAttack.stoppedAtMs(c);
            return at === undefined ? [] : [at];
          });
          const rows = download.response ? rowsInOrder(download.response.body, expected) : 0;
          return {
            t0,
            headers: {
              connected: heads.connected(),
              closedInTime: headTimes.filter((t) => t <= CLOSE_BOUND_MS).length,
              closedLate: headTimes.filter((t) => t > CLOSE_BOUND_MS).length,
              open: heads.connected() - headTimes.length,
              slowestMs: headTimes.length ? Math.max(...headTimes) : undefined,
            },
            bodies: {
              connected: bodies.connected(),
              stoppedInTime: bodyStops.filter((t) => t <= CLOSE_BOUND_MS).length,
              stoppedLate: bodyStops.filter((t) => t > CLOSE_BOUND_MS).length,
              open: bodies.connected() - bodyStops.length,
              slowestMs: bodyStops.length ? Math.max(...bodyStops) : undefined,
              statuses: bodies.conns.map((c) => (c.answered ? String(c.answered.status) : c.closedByServer ? (c.closedByServer.by === 'peer-rst' ? 'RST' : 'FIN') : 'open')),
            },
            upload: { ...upload, expectedSha: createHash('sha256').update(body).digest('hex') },
            download: {
              ...download,
              rows,
              exact: !!download.response && download.response.body.toString('latin1') === expected.join('\n') + '\n',
            },
            endedAtMs,
            openSeries: await open.stop(),
          };
        } finally {
          stop.abort();
          heads.stop();
          bodies.stop();
          await open.stop();
        }
      },
      checks: [
        {
          id: 'slow-headers-closed',
          title: 'Slow-header connections are closed quickly',
          expected: `all ${SLOW_HEADERS} connections that send their request head at 1 byte / ${SLOW_CADENCE_MS} ms are closed by the server within ${CLOSE_BOUND_MS / 1000} s`,
          measured: (m) =>
            m.headers.closedInTime === m.headers.connected
              ? `all ${m.headers.connected} closed, the slowest after ${s(m.headers.slowestMs)}`
              : `${m.headers.closedInTime} of ${m.headers.connected} closed within ${CLOSE_BOUND_MS / 1000} s` +
                (m.headers.closedLate ? `, ${m.headers.closedLate} later (the slowest after ${s(m.headers.slowestMs)})` : '') +
                (m.headers.open ? `, ${m.headers.open} still open after ${s(m.endedAtMs)}` : ''),
          pass: (m) => m.headers.connected === SLOW_HEADERS && m.headers.closedInTime === SLOW_HEADERS,
          explanation: (m, passed) =>
            passed
              ? 'the request head has its own short deadline, so a slowloris client loses its connection quickly whatever the other routes allow'
              : m.headers.open
                ? 'nothing bounds the time a client may take to send its request head: ReadHeaderTimeout is zero and so is ReadTimeout, its fallback'
                : 'the request head deadline is too long: with ReadHeaderTimeout zero, net/http uses ReadTimeout for it, so raising ReadTimeout for the upload also gave slowloris clients that long',
          hint: 'set ReadHeaderTimeout (a few seconds); it is the only deadline that covers just the request head, and it stays short whatever the slow routes need',
          series: (m) => [{ name: 'slow connections still open', kind: 'line', x: m.openSeries.x, y: m.openSeries.y, xLabel: 's', yLabel: 'connections' }],
        },
        {
          id: 'slow-body-closed',
          title: 'Slow request bodies on POST /notes are cut off',
          expected: `all ${SLOW_BODIES} POST /notes whose 1000-byte body arrives at 1 byte / ${SLOW_CADENCE_MS} ms are answered or closed by the server within ${CLOSE_BOUND_MS / 1000} s`,
          measured: (m) =>
            m.bodies.stoppedInTime === m.bodies.connected
              ? `all ${m.bodies.connected} stopped (${[...new Set(m.bodies.statuses)].join(', ')}), the slowest after ${s(m.bodies.slowestMs)}`
              : `${m.bodies.stoppedInTime} of ${m.bodies.connected} stopped within ${CLOSE_BOUND_MS / 1000} s` +
                (m.bodies.stoppedLate ? `, ${m.bodies.stoppedLate} later (the slowest after ${s(m.bodies.slowestMs)})` : '') +
                (m.bodies.open ? `, ${m.bodies.open} still reading after ${s(m.endedAtMs)}` : ''),
          pass: (m) => m.bodies.connected === SLOW_BODIES && m.bodies.stoppedInTime === SLOW_BODIES,
          explanation: (m, passed) =>
            passed
              ? 'the ordinary routes still have a deadline for the request body, so a client cannot hold a handler by trickling a small body'
              : 'ReadHeaderTimeout ends once the head is read: without ReadTimeout (or a deadline the route sets itself) a handler reading the body waits as long as the client keeps trickling',
          hint: 'keep a short deadline for the body on the ordinary routes: leave ReadTimeout at a few seconds and loosen it only inside the upload handler, or set a read deadline per route with http.ResponseController',
        },
        {
          id: 'slow-upload',
          title: 'A slow upload succeeds',
          expected: `POST /upload of ${kib(UPLOAD_CHUNK * UPLOAD_CHUNKS)} written ${kib(UPLOAD_CHUNK)} every ${UPLOAD_CADENCE_MS} ms (~${s((UPLOAD_CHUNKS - 1) * UPLOAD_CADENCE_MS)}) answers 200 with the right byte count and SHA-256`,
          measured: (m) => uploadVerdict(m.upload).why,
          pass: (m) => uploadVerdict(m.upload).ok,
          explanation: (m, passed) =>
            passed
              ? 'the upload route set its own read and write deadlines, long enough for its largest file'
              : m.upload.response || m.upload.closedByServer
                ? 'ReadTimeout is an absolute deadline for the whole request, body included, counted from the start of the request; WriteTimeout runs from the end of the head and also covers the answer written after a long body'
                : 'the upload did not get an answer',
          hint: 'at the top of the upload handler, rc := http.NewResponseController(w); rc.SetReadDeadline(...) and rc.SetWriteDeadline(...) for this request only; set both before the global deadline passes (a deadline already exceeded cannot be extended)',
        },
        {
          id: 'long-download',
          title: 'A long streamed export arrives whole',
          expected: `GET /export answers 200 with all ${EXPORT_ROWS} rows in order and the final chunk, the first bytes within ${EXPORT_FIRST_BYTE_MS / 1000} s, the whole export over at least ${EXPORT_MIN_MS / 1000} s (its own pacing)`,
          measured: (m) => downloadVerdict(m.download).why,
          pass: (m) => downloadVerdict(m.download).ok,
          explanation: (m, passed) =>
            passed
              ? 'the export sets a write deadline per batch: a stream may run as long as it needs, a client that stops reading is still cut off'
              : m.download.response && !m.download.response.complete
                ? 'WriteTimeout is an absolute deadline set when the request head is read; when it passes mid-stream the next write fails and the connection is closed: the client got 200 and a cut body, not an error status'
                : 'the export must stream: every batch flushed to the client as it is produced, all of it',
          hint: 'in the export handler, extend the write deadline with http.ResponseController.SetWriteDeadline (before each batch, a few seconds ahead); http.TimeoutHandler buffers the whole response and cannot flush',
        },
      ],
    }),
  ],
});
