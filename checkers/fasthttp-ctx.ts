// fasthttp-ctx: a fasthttp handler answers 202 at once and hands the *RequestCtx to a goroutine
// that reads the request's id, path and body ~50 ms later, to write an audit record. By then
// fasthttp has reset the RequestCtx (after the response) and, on a keep-alive connection, parsed
// the next request into it: the audit log gets empty or foreign values.
//
// Every request carries a unique X-Request-Id, a path and a body that only it has; the server
// appends one JSON line per order to $AUDIT_LOG (audit.go), which the checker reads.
//   - accepted:          POST /orders/{n} answers 202 {"status":"accepted"}
//   - audit-single:      that one request, alone on its connection, leaves exactly one audit
//                        record within 2 s, with its own request id, method, path and body
//   - audit-under-load:  2000 POSTs over 25 keep-alive connections, all answered 202: the audit
//                        log gets exactly one record per request, each with that request's own
//                        id, path and body (0 empty, 0 mixed, 0 duplicated, 0 missing)
// The starter fails both audit probes in every run: once the handler has returned, the request
// is reset (empty id, path "/", empty body) and then reused by the next request.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpRequest, type Outcome, type RequestSpec } from './core/http/conn.js';
import { variedLoad, type VariedLoadResult } from './core/load/varied.js';
import { sleep } from './core/net.js';
import { defineChecker, scenario, type ScenarioContext } from './core/spec.js';

const AUDIT_FILE = 'audit.log';
const REQUESTS = 2000;
const CONNECTIONS = 25; // each connection sends its next order within ~10 ms, well inside the audit's ~50 ms
const SINGLE_WAIT_MS = 2000;
const SETTLE_MAX_MS = 3000; // after the load: the last audits are ~50 ms behind their answers
const SETTLE_STABLE_MS = 500; // ... or stop once the log has not grown for this long

interface Issued {
  id: string;
  path: string;
  body: string;
}

interface AuditLine {
  request_id?: unknown;
  method?: unknown;
  path?: unknown;
  body?: unknown;
}

/** The request number i of this check: its own id, path and body. */
function order(tag: string, i: number | 'single'): Issued {
  const n = i === 'single' ? 0 : i + 1;
  const num = String(n).padStart(6, '0');
  const id = `${tag}-${i === 'single' ? 'single' : num}`;
  // The quantity varies in length, so bodies of neighbouring requests differ in size too.
  const qty = ((n * 7919) % 997) + 1;
  return { id, path: `/orders/${num}`, body: `{"order":${n},"sku":"SKU-${tag.slice(0, 4).toUpperCase()}${num}","qty":${qty}}` };
}

const spec = (o: Issued): RequestSpec => ({
  method: 'POST',
  path: o.path,
  headers: { 'X-Request-Id': o.id, 'Content-Type': 'application/json' },
  body: o.body,
});

function tagOf(ctx: ScenarioContext): string {
  let tag = ctx.state.get('tag') as string | undefined;
  if (!tag) {
    tag = randomBytes(4).toString('hex');
    ctx.state.set('tag', tag);
  }
  return tag;
}

/** The audit log's lines, parsed (a line that is not JSON becomes an empty record). */
function readAudit(tmpDir: string): AuditLine[] {
  const file = join(tmpDir, AUDIT_FILE);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      try {
        return JSON.parse(l) as AuditLine;
      } catch {
        return {};
      }
    });
}

/**
 * Waits until the audit log has at least `want` lines, or has not grown for `stableMs`, or
 * `maxMs` passes; returns its lines.
 */
async function waitForAudit(tmpDir: string, want: number, maxMs: number, signal: AbortSignal, stableMs = maxMs): Promise<AuditLine[]> {
  const t0 = Date.now();
  let lines = readAudit(tmpDir);
  let grewAt = Date.now();
  while (lines.length < want && Date.now() - t0 < maxMs && Date.now() - grewAt < stableMs && !signal.aborted) {
    await sleep(50, signal);
    const n = lines.length;
    lines = readAudit(tmpDir);
    if (lines.length !== n) grewAt = Date.now();
  }
  // a little longer, to see records written twice
  await sleep(100, signal);
  return readAudit(tmpDir);
}

interface Tally {
  records: number;
  /** distinct requests audited with their own id, method, path and body */
  right: number;
  /** records with no request id: read after fasthttp reset the request */
  emptyId: number;
  /** records whose id is not one the checker sent */
  unknownId: number;
  /** records with one request's id and another request's path or body (or none) */
  mixed: number;
  /** extra records of a request already audited right */
  duplicated: number;
  /** requests with no right record */
  missing: number;
  example?: string;
}

function tally(issued: Map<string, Issued>, lines: AuditLine[]): Tally {
  const seen = new Map<string, number>();
  const t: Tally = { records: lines.length, right: 0, emptyId: 0, unknownId: 0, mixed: 0, duplicated: 0, missing: 0 };
  const note = (l: AuditLine, want?: Issued) => {
    t.example ??= `got ${JSON.stringify({ request_id: l.request_id, path: l.path, body: l.body })}` + (want ? `, sent ${JSON.stringify({ request_id: want.id, path: want.path, body: want.body })}` : '');
  };
  for (const l of lines) {
    const id = typeof l.request_id === 'string' ? l.request_id : '';
    if (!id) {
      t.emptyId++;
      note(l);
      continue;
    }
    const want = issued.get(id);
    if (!want) {
      t.unknownId++;
      note(l);
      continue;
    }
    if (l.method !== 'POST' || l.path !== want.path || l.body !== want.body) {
      t.mixed++;
      note(l, want);
      continue;
    }
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  t.right = seen.size;
  for (const n of seen.values()) t.duplicated += n - 1;
  t.missing = issued.size - seen.size;
  return t;
}

const exact = (t: Tally, n: number) => t.right === n && t.records === n && t.emptyId + t.unknownId + t.mixed + t.duplicated + t.missing === 0;

function describe(t: Tally, n: number): string {
  const parts = [`${t.records} records for ${n} requests: ${t.right} right`];
  if (t.emptyId) parts.push(`${t.emptyId} with an empty request id`);
  if (t.mixed) parts.push(`${t.mixed} mixing one request's id with another's path or body`);
  if (t.unknownId) parts.push(`${t.unknownId} with an id never sent`);
  if (t.duplicated) parts.push(`${t.duplicated} duplicates of a request audited already`);
  if (t.missing) parts.push(`${t.missing} requests never audited with their own data`);
  return parts.join(', ') + (t.example && !exact(t, n) ? `; e.g. ${t.example}` : '');
}

function whyWrong(t: Tally): string {
  if (t.emptyId || t.mixed || t.duplicated)
    return (
      'the audit goroutine read the RequestCtx after the handler had returned. By then fasthttp has reset the request ' +
      '(Peek gives nil, Path gives "/", PostBody gives nothing) and, on a keep-alive connection, parses the next ' +
      'request into the very same RequestCtx and buffers: the record gets empty values, or those of the next request'
    );
  return 'every accepted order must leave exactly one audit record, with its own request id, path and body';
}

interface Single {
  answer: Outcome;
  issued: Issued;
  tally: Tally;
  linesBefore: number;
}

interface Loaded {
  load: VariedLoadResult;
  accepted: number;
  tally: Tally;
}

export default defineChecker({
  lab: 'fasthttp-ctx',
  server: { admin: false, env: { AUDIT_LOG: AUDIT_FILE } },
  scenarios: [
    scenario<Single>({
      title: 'One order, alone on its connection',
      deadlineMs: 6000,
      run: async (ctx) => {
        const issued = order(tagOf(ctx), 'single');
        const linesBefore = readAudit(ctx.tmpDir).length;
        const answer = await httpRequest(ctx.server.host, ctx.server.port, spec(issued), 3000);
        const lines = (await waitForAudit(ctx.tmpDir, linesBefore + 1, SINGLE_WAIT_MS, ctx.signal)).slice(linesBefore);
        ctx.state.set('auditLines', linesBefore + lines.length);
        return { answer, issued, linesBefore, tally: tally(new Map([[issued.id, issued]]), lines) };
      },
      checks: [
        {
          id: 'accepted',
          title: 'POST /orders/{n} answers 202 at once',
          expected: '202 {"status":"accepted"}',
          measured: (m) => (m.answer.response ? `${m.answer.response.status} ${JSON.stringify(m.answer.response.body.toString('utf8').slice(0, 60))} in ${m.answer.ms} ms` : `no answer: ${m.answer.error}`),
          pass: (m) => m.answer.ok && m.answer.response!.status === 202 && m.answer.response!.body.toString('utf8').includes('accepted'),
          explanation: 'the order is accepted at once; the audit happens afterwards, in the background',
          hint: 'keep answering 202 before the audit is done: the fix is in what the goroutine reads, not in making the client wait',
        },
        {
          id: 'audit-single',
          title: 'Its audit record holds its own request id, path and body',
          expected: `one record within ${SINGLE_WAIT_MS / 1000} s: request_id, method POST, path and body exactly as sent`,
          measured: (m) => describe(m.tally, 1),
          pass: (m) => exact(m.tally, 1),
          explanation: (m, passed) =>
            passed
              ? 'the goroutine worked on copies made before the handler returned'
              : m.tally.records === 0
                ? 'no audit record was written for the order'
                : 'even with nothing else going on, the values were gone: right after writing the response fasthttp calls ctx.Request.Reset() to make the RequestCtx ready for the next request on the connection, so a goroutine that reads it 50 ms later reads an empty request',
          hint: 'before `go func()`, copy what the audit needs: id := string(ctx.Request.Header.Peek("X-Request-Id")), and the same for Method, Path and PostBody; the goroutine then uses only the copies',
        },
      ],
    }),
    scenario<Loaded>({
      title: `${REQUESTS} orders over ${CONNECTIONS} keep-alive connections`,
      deadlineMs: 20_000,
      run: async (ctx) => {
        const tag = tagOf(ctx);
        const orders = Array.from({ length: REQUESTS }, (_, i) => order(tag, i));
        const issued = new Map(orders.map((o) => [o.id, o]));
        const linesBefore = (ctx.state.get('auditLines') as number | undefined) ?? readAudit(ctx.tmpDir).length;
        let accepted = 0;
        ctx.progress(`${REQUESTS} orders, ${CONNECTIONS} connections`);
        const load = await variedLoad({
          host: ctx.server.host,
          port: ctx.server.port,
          connections: CONNECTIONS,
          requests: REQUESTS,
          request: (i) => spec(orders[i]!),
          onResponse: (_, r) => {
            if (r.status === 202) accepted++;
          },
          timeoutMs: 5000,
          signal: ctx.signal,
        });
        ctx.progress(`${accepted} accepted; reading the audit log`);
        const lines = (await waitForAudit(ctx.tmpDir, linesBefore + REQUESTS, SETTLE_MAX_MS, ctx.signal, SETTLE_STABLE_MS)).slice(linesBefore);
        return { load, accepted, tally: tally(issued, lines) };
      },
      checks: [
        {
          id: 'audit-under-load',
          title: 'Under load, every order is audited once, with its own data',
          expected: `${REQUESTS} of ${REQUESTS} answered 202, and exactly ${REQUESTS} audit records: one per request, each with that request's id, path and body`,
          measured: (m) => {
            const other = Object.entries(m.load.statuses).filter(([k]) => k !== '202').map(([k, v]) => `${v} × ${k}`);
            const errs = Object.entries(m.load.errors).map(([k, v]) => `${v} × ${k}`);
            const off = [...other, ...errs];
            return `${m.accepted} of ${REQUESTS} answered 202${off.length ? ` (${off.join(', ')})` : ''} in ${(m.load.durationMs / 1000).toFixed(1)} s; ${describe(m.tally, REQUESTS)}`;
          },
          pass: (m) => m.accepted === REQUESTS && exact(m.tally, REQUESTS),
          explanation: (m, passed) =>
            passed
              ? 'no goroutine touched a RequestCtx after its handler returned, so recycling is invisible'
              : m.accepted < REQUESTS && (m.load.statuses['404'] ?? 0) > 0 && m.tally.emptyId + m.tally.mixed > 0
                ? `${m.load.statuses['404']} orders were answered 404: a late goroutine calling ctx.Path() on a RequestCtx that was being reused made it parse its URI (Request.URI() parses lazily, once, and records that it did) before the next request's handler looked, so that handler saw path "/". Reading a recycled RequestCtx does not only read garbage, it corrupts the request now using it. And ${whyWrong(m.tally)}`
                : m.accepted < REQUESTS
                  ? `not every order was accepted (${m.accepted} of ${REQUESTS}), so the audit could not be judged`
                  : whyWrong(m.tally),
          hint: 'a []byte from Peek, Path or PostBody is a view into buffers the RequestCtx reuses: b := ctx.Path() copies the slice header, not the bytes. Copy the bytes (string(b), bytes.Clone(b)) or the whole request (ctx.Request.CopyTo(req)) before the handler returns',
        },
      ],
    }),
  ],
});
