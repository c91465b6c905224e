// panic-recovery: a chi service with middleware.Recoverer in the wrong place and a handler
// that starts a goroutine. A panic in a middleware outside Recoverer gets no answer at all
// (net/http recovers it and closes the connection), and a panic in the goroutine kills the
// process with every request it was serving.
//
// 1. Before any panic: GET /orders/1, its invoice, the attachment of order 2 (64 KiB,
//    streamed), the report (20 rows in ~0.8 s) and POST /orders/1/confirm all work.
// 2. Panics on the request's goroutine, each on a fresh connection:
//    - handler-panic-500:    GET /orders/{41,42,43}/invoice (billing's nil dereference) → 500
//    - middleware-panic-500: GET /orders/{1,2,3} with "X-Tenant: acme" (the tenant
//                            middleware's index out of range) → 500
//    - abort-not-masked:     GET /orders/13/attachment, aborted mid-body with
//                            http.ErrAbortHandler after 24 KiB → the client must NOT receive
//                            a complete response (a recover that swallows the abort finishes
//                            the chunked body and the cut file looks whole)
// 3. A panic in a goroutine a handler started, with 4 reports in flight: each report has its
//    first row, then POST /orders/{44,45,46}/confirm (guest orders: the background receipt
//    panics ~20 ms after the 202).
//    - process-survives:        the process never exits, the 3 confirms get 202, and
//                               GET /orders/1 answers 200 afterwards
//    - in-flight-unaffected:    the 4 reports arrive whole, byte for byte
//    - goroutine-panics-logged: the 3 recovered panics are in the server's log (their value,
//                               "... nil pointer dereference"), not swallowed
// The starter fails middleware-panic-500 and the three probes of step 3.
import { httpRequest, type Outcome } from './core/http/conn.js';
import { InFlightRequest, type InFlightResult } from './core/http/in-flight.js';
import { sleep } from './core/net.js';
import { defineChecker, scenario } from './core/spec.js';
import { describeExit, type ExitInfo } from './core/supervisor.js';

/** The report, byte for byte: 20 rows of 64 bytes (labs/panic-recovery/main.go). */
const REPORT_ROWS = 20;
const reportRow = (i: number) => `row ${String(i).padStart(4, '0')} ${'x'.repeat(54)}\n`;
const REPORT_BODY = Buffer.from(Array.from({ length: REPORT_ROWS }, (_, i) => reportRow(i)).join(''), 'latin1');

/** Every attachment is 64 KiB (labs/panic-recovery/orders.go); order 13's storage fails after 24 KiB. */
const ATTACHMENT_SIZE = 64 << 10;
const attachmentBytes = (id: number) => Buffer.from(Array.from({ length: ATTACHMENT_SIZE }, (_, i) => 97 + ((id + Math.floor(i / 64)) % 26)));
const BROKEN_ATTACHMENT = 13;

const HANDLER_PANICS = [41, 42, 43]; // guest orders: Invoice dereferences a nil billing address
const MIDDLEWARE_PANICS = [1, 2, 3]; // with a malformed X-Tenant header
const BAD_TENANT = 'acme'; // no "/<region>": parts[1] is out of range
const GOROUTINE_PANICS = [44, 45, 46]; // guest orders confirmed: the receipt goroutine panics
const REPORTS = 4;
const PANIC_VALUE = /nil pointer dereference/;
/** after the last confirm, the receipt goroutines (20 ms each) have surely run */
const SETTLE_MS = 300;

interface Baseline {
  order: Outcome;
  invoice: Outcome;
  attachment: Outcome;
  report: Outcome;
  confirm: Outcome;
}

interface RequestPanics {
  handler: Outcome[];
  middleware: Outcome[];
  abort: Outcome;
}

interface GoroutinePanic {
  setupError?: string;
  reports: InFlightResult[];
  confirms: Outcome[];
  after?: Outcome;
  exit?: ExitInfo;
  /** log lines carrying the panic value, from the first confirm on */
  panicLines: number;
}

const status = (o: Outcome) => o.response?.status;
const ms = (n: number) => `${Math.round(n)} ms`;

/** What the client saw, in a few words. */
function seen(o: Outcome): string {
  if (o.response) {
    const r = o.response;
    return r.complete ? `${r.status} (${r.body.length} bytes)` : `${r.status} then the body was cut after ${r.body.length} bytes`;
  }
  switch (o.error) {
    case 'peer-fin':
      return 'no response: connection closed (EOF)';
    case 'peer-rst':
    case 'ECONNRESET':
      return 'no response: connection reset';
    case 'ECONNREFUSED':
      return 'connection refused (no server)';
    default:
      return `no response: ${o.error}`;
  }
}

/** "3 × 500" / "2 × 500, 1 × no response: connection closed (EOF)" */
function tally(outcomes: Outcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    const k = o.response?.complete ? String(o.response.status) : seen(o);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n} × ${k}`).join(', ');
}

const all500 = (os: Outcome[], n: number) => os.length === n && os.every((o) => o.ok && status(o) === 500);
const reportWhole = (r: InFlightResult) => !!r.response?.complete && r.response.status === 200 && r.response.body.equals(REPORT_BODY);
const alive = (m: GoroutinePanic) => !m.setupError && !m.exit;

export default defineChecker({
  lab: 'panic-recovery',
  scenarios: [
    scenario<Baseline>({
      title: 'Before any panic: orders, invoice, attachment, report, confirm',
      deadlineMs: 6000,
      run: async ({ server }) => {
        const { host, port } = server;
        const reportP = httpRequest(host, port, { path: '/report' }, 4000);
        const order = await httpRequest(host, port, { path: '/orders/1' }, 2000);
        const invoice = await httpRequest(host, port, { path: '/orders/1/invoice' }, 2000);
        const attachment = await httpRequest(host, port, { path: '/orders/2/attachment' }, 3000);
        const confirm = await httpRequest(host, port, { method: 'POST', path: '/orders/1/confirm' }, 2000);
        return { order, invoice, attachment, confirm, report: await reportP };
      },
      checks: [
        {
          id: 'serves',
          title: 'The API works before anything panics',
          expected: `GET /orders/1 → 200, /orders/1/invoice → 200, /orders/2/attachment → 200 with its ${ATTACHMENT_SIZE} bytes, /report → 200 with its ${REPORT_BODY.length} bytes, POST /orders/1/confirm → 202`,
          measured: (m) =>
            [
              `order ${seen(m.order)}`,
              `invoice ${seen(m.invoice)}`,
              `attachment ${seen(m.attachment)}`,
              `report ${seen(m.report)}${m.report.ok && !m.report.response!.body.equals(REPORT_BODY) ? ' (not the expected rows)' : ''}`,
              `confirm ${seen(m.confirm)}`,
            ].join('; '),
          pass: (m) =>
            m.order.ok &&
            status(m.order) === 200 &&
            m.invoice.ok &&
            status(m.invoice) === 200 &&
            m.attachment.ok &&
            status(m.attachment) === 200 &&
            m.attachment.response!.body.equals(attachmentBytes(2)) &&
            m.report.ok &&
            status(m.report) === 200 &&
            m.report.response!.body.equals(REPORT_BODY) &&
            m.confirm.ok &&
            status(m.confirm) === 202,
          explanation: 'the routes must work before their panics can be judged; keep orders.go and the handlers as they are',
        },
      ],
    }),
    scenario<RequestPanics>({
      title: "Panics on the request's goroutine: handler, middleware, aborted response",
      deadlineMs: 6000,
      run: async ({ server }) => {
        const { host, port } = server;
        const handler: Outcome[] = [];
        for (const id of HANDLER_PANICS) handler.push(await httpRequest(host, port, { path: `/orders/${id}/invoice` }, 2000));
        const middleware: Outcome[] = [];
        for (const id of MIDDLEWARE_PANICS) middleware.push(await httpRequest(host, port, { path: `/orders/${id}`, headers: { 'X-Tenant': BAD_TENANT } }, 2000));
        const abort = await httpRequest(host, port, { path: `/orders/${BROKEN_ATTACHMENT}/attachment` }, 3000);
        return { handler, middleware, abort };
      },
      checks: [
        {
          id: 'handler-panic-500',
          title: 'A panic in a handler is answered with 500',
          expected: `GET /orders/{${HANDLER_PANICS.join(',')}}/invoice (Invoice panics on guest orders): ${HANDLER_PANICS.length} × 500`,
          measured: (m) => tally(m.handler),
          pass: (m) => all500(m.handler, HANDLER_PANICS.length),
          explanation: (m, passed) =>
            passed
              ? 'a recovery middleware around the handler turned the panic into a 500: the client gets an answer it can act on, and the connection stays usable'
              : 'without a recovery middleware around the handler, net/http recovers the panic itself (conn.serve), logs "http: panic serving ..." and closes the connection without writing anything: the client sees EOF, a proxy answers 502',
          hint: 'keep middleware.Recoverer (or your own recovery middleware) around every route',
        },
        {
          id: 'middleware-panic-500',
          title: 'A panic in a middleware is answered with 500',
          expected: `GET /orders/{${MIDDLEWARE_PANICS.join(',')}} with "X-Tenant: ${BAD_TENANT}" (the tenant middleware panics): ${MIDDLEWARE_PANICS.length} × 500`,
          measured: (m) => tally(m.middleware),
          pass: (m) => all500(m.middleware, MIDDLEWARE_PANICS.length),
          explanation: (m, passed) =>
            passed
              ? 'the recovery middleware is outside every middleware that can panic'
              : "a middleware only protects what it wraps. chi runs the middlewares in the order of r.Use, so the tenant middleware, registered before Recoverer, runs outside it: its panic goes up to net/http's own recover in conn.serve, which logs it and closes the connection with no response. The client sees EOF (curl: \"Empty reply from server\"), a proxy turns that into a 502",
          hint: 'make middleware.Recoverer the first r.Use, before every other middleware',
        },
        {
          id: 'abort-not-masked',
          title: 'An aborted response stays aborted',
          expected: `GET /orders/${BROKEN_ATTACHMENT}/attachment (storage fails after 24 KiB; the handler panics with http.ErrAbortHandler): the client does NOT get a complete response`,
          measured: (m) =>
            m.abort.response?.complete
              ? `a complete ${m.abort.response.status} of ${m.abort.response.body.length} bytes (the attachment has ${ATTACHMENT_SIZE}): the cut looks like a whole file`
              : seen(m.abort),
          pass: (m) => !m.abort.response?.complete,
          explanation: (m, passed) =>
            passed
              ? 'the client sees the body cut (no final chunk, connection closed) and knows the file is incomplete. http.ErrAbortHandler is the sentinel for this: net/http closes the connection without logging a stack, and chi\'s Recoverer re-panics it rather than answering'
              : `the abort was recovered and the handler chain returned normally, so net/http ended the chunked body properly: the client received a "complete" ${m.abort.response?.status} of ${m.abort.response?.body.length} bytes instead of ${ATTACHMENT_SIZE}, and will store a corrupt file. The status line was already sent, so a 500 cannot reach the client any more (net/http logs "superfluous response.WriteHeader call")`,
          hint: 'in a recovery middleware, re-panic http.ErrAbortHandler (if v == http.ErrAbortHandler { panic(v) }), as chi\'s Recoverer does',
        },
      ],
    }),
    scenario<GoroutinePanic>({
      title: `A panic in a goroutine a handler started, with ${REPORTS} reports in flight`,
      deadlineMs: 8000,
      run: async ({ server, signal, progress }) => {
        const { host, port } = server;
        const m: GoroutinePanic = { reports: [], confirms: [], panicLines: 0 };
        let counting = false;
        server.onLine((line) => {
          if (counting && PANIC_VALUE.test(line)) m.panicLines++;
        });
        const reports: InFlightRequest[] = [];
        try {
          for (let i = 0; i < REPORTS; i++) reports.push(await InFlightRequest.start(host, port, { path: '/report' }, { responseTimeoutMs: 5000 }));
          const started = await Promise.all(reports.map((r) => r.waitFor(reportRow(0), 2000, signal)));
          if (started.some((s) => !s)) {
            m.setupError = `only ${started.filter(Boolean).length} of ${REPORTS} reports started streaming within 2 s`;
            return m;
          }
          progress(`${REPORTS} reports in flight: confirming guest orders ${GOROUTINE_PANICS.join(', ')}`);
          counting = true;
          for (const id of GOROUTINE_PANICS) m.confirms.push(await httpRequest(host, port, { method: 'POST', path: `/orders/${id}/confirm` }, 2000));
          const lastConfirm = Date.now();
          m.reports = await Promise.all(reports.map((r) => r.result()));
          await sleep(Math.max(0, SETTLE_MS - (Date.now() - lastConfirm)), signal);
          m.after = await httpRequest(host, port, { path: '/orders/1' }, 2000);
          m.exit = server.exitInfo();
          counting = false;
          progress(m.exit ? `the server exited (${describeExit(m.exit)})` : 'the server is still running');
          return m;
        } finally {
          counting = false;
          for (const r of reports) r.close();
        }
      },
      checks: [
        {
          id: 'process-survives',
          title: 'The process survives a panic in a background goroutine',
          expected: `the same process keeps running (never exits), the ${GOROUTINE_PANICS.length} confirms get 202, and GET /orders/1 answers 200 afterwards`,
          measured: (m) => {
            if (m.setupError) return `not measured: ${m.setupError}`;
            const parts = [`confirms: ${tally(m.confirms)}`, `GET /orders/1 afterwards: ${m.after ? seen(m.after) : 'not sent'}`];
            return (m.exit ? `the process exited (${describeExit(m.exit)}); ` : 'still running; ') + parts.join('; ');
          },
          pass: (m) =>
            alive(m) &&
            m.confirms.length === GOROUTINE_PANICS.length &&
            m.confirms.every((o) => o.ok && status(o) === 202) &&
            !!m.after?.ok &&
            status(m.after) === 200,
          explanation: (m, passed) =>
            passed
              ? 'the panic was recovered at the top of the goroutine that raised it; the rest of the process never noticed'
              : m.exit
                ? 'recover only works in the goroutine that panics. neither net/http nor Recoverer is on the stack of a goroutine that a handler started with `go`: the panic reaches the top of that goroutine, the runtime prints "panic: ..." with its stack and exits with status 2 (fatalpanic), and every connection of the process goes with it'
                : 'the process is alive, but the confirms or the request after the panics were not answered as expected (202, then 200): keep the receipt in the background and make sure a recovered panic leaves nothing locked',
          hint: 'start the goroutine through a helper that defers a recover() inside the new goroutine: safeGo(func() { sendReceipt(o) })',
        },
        {
          id: 'in-flight-unaffected',
          title: 'Requests in flight are not affected by the panic',
          expected: `the ${REPORTS} reports in flight when the goroutines panic arrive whole: ${REPORT_BODY.length} bytes each, final chunk included`,
          measured: (m) => {
            if (m.setupError) return `not measured: ${m.setupError}`;
            const whole = m.reports.filter(reportWhole).length;
            if (whole === REPORTS) return `${whole} of ${REPORTS} complete, ${REPORT_BODY.length} bytes each`;
            const cut = m.reports.filter((r) => !reportWhole(r)).map((r) => `${r.response?.body.length ?? 0} bytes, ${r.error ?? 'not the expected rows'}`);
            return `${whole} of ${REPORTS} complete; cut: ${[...new Set(cut)].join('; ')}`;
          },
          pass: (m) => !m.setupError && m.reports.length === REPORTS && m.reports.every(reportWhole),
          explanation: (m, passed) =>
            passed
              ? "a panic recovered in its own goroutine stays there: other requests, on other goroutines, carry on"
              : 'these requests had nothing to do with the panic. When a goroutine panics without a recover, the whole process exits and the kernel closes every socket it held: every user of the instance gets a cut response, not only the one who triggered the bug',
          hint: 'recover in the goroutine that panics (safeGo), so the process never dies',
        },
        {
          id: 'goroutine-panics-logged',
          title: 'Recovered panics are logged, not swallowed',
          expected: `the server's output shows the value of each of the ${GOROUTINE_PANICS.length} recovered panics ("runtime error: invalid memory address or nil pointer dereference")`,
          measured: (m) => {
            if (m.setupError) return `not measured: ${m.setupError}`;
            if (m.exit) return `the process exited (${describeExit(m.exit)}): nothing was recovered`;
            return `${m.panicLines} log line${m.panicLines === 1 ? '' : 's'} with the panic value since the first confirm`;
          },
          pass: (m) => alive(m) && m.panicLines >= GOROUTINE_PANICS.length,
          explanation: (m, passed) =>
            passed
              ? 'a recovered panic is still a bug: with its value and stack in the log (and a counter to alert on) someone can find and fix it'
              : m.exit
                ? 'the process died, so there was nothing to log'
                : 'the panics were recovered silently: the receipts were never sent, the bug is invisible, and nobody will know until customers complain. A recover that drops the value hides the bug that a crash at least made visible',
          hint: 'in safeGo\'s deferred function: if v := recover(); v != nil { log.Printf("panic in goroutine: %v\\n%s", v, debug.Stack()) }, and count it',
        },
      ],
    }),
  ],
});
