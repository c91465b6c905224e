// raw-conn-server: a hand-written HTTP/1.1 server over net.Listener that assumes one Read is
// one request, with no limits and no deadlines. It answers curl, and fails the clients that
// TCP and HTTP/1.1 allow: a request in many segments, several requests in one segment, a
// header that never ends, a client that sends nothing.
//
// 1. As curl sends them: GET /items/1, POST /echo (head and body in one write), GET /healthz
//    on one kept-alive connection.                                                  serves
// 2. Split and joined, each on its own connection, all at once:
//    - a GET written one byte every 5 ms (with a 300 ms pause after the request line), and
//      a POST whose body follows its head 300 ms later: both answered 200, right body  fragmented
//    - GET /items/1, /items/2, /items/3 in one write: three responses, in order      pipelined
//    - "Connection: close" on HTTP/1.1, and an HTTP/1.0 request: answered, then the
//      server closes the connection within 1 s                                        connection-close
// 3. A header that never ends, written as fast as the server reads it, up to 2 MiB: the
//    server answers 431 before the head ends (it never does), and serves a normal
//    request afterwards                                                               header-limit-431
// 4. For 4.5 s: 3 silent connections, 3 dribbling an endless first head (1 byte / 200 ms),
//    3 dribbling an endless second head after one answered request; and one client sending
//    a request every 250 ms on one connection.
//    - every slow or silent connection is closed by the server within 4 s             slow-client-closed
//    - the busy client's 18 requests are all answered on its one connection            keepalive-active
// The starter passes serves and keepalive-active and fails the other five.
import { setMaxListeners } from 'node:events';
import { SlowHeaderAttack } from './core/attacks/slow-headers.js';
import { sendEndlessHeader, type EndlessHeaderResult } from './core/attacks/endless-header.js';
import { RawConn, encodeRequest, httpRequest, type CloseInfo, type Outcome } from './core/http/conn.js';
import type { RawResponse } from './core/http/parser.js';
import { sleep } from './core/net.js';
import { tryProcStats } from './core/observe.js';
import { defineChecker, scenario } from './core/spec.js';

const itemBody = (n: number) => `{"id":${n},"name":"item ${n}"}\n`;
const ECHO = 'hello, raw world';
const BYTE_CADENCE_MS = 5;
/** the pause after the request line of the byte-at-a-time GET, and between the POST's head and body */
const PAUSE_MS = 300;
const PIPELINE_WAIT_MS = 1000;
const CLOSE_WITHIN_MS = 1000;
const HEADER_CAP = 2 << 20; // above net/http's default limit (1 MiB + 4 KiB)
const ANSWER_WAIT_MS = 1500;
const SLOW_EACH = 3; // per kind: silent, slow first head, slow second head
const SLOW_CADENCE_MS = 200;
const SLOW_WINDOW_MS = 4000;
const ACTIVE_MS = 4500; // longer than any deadline that passes slow-client-closed
const ACTIVE_EVERY_MS = 250;

interface Exchange {
  response?: RawResponse;
  error?: string;
}

interface Basics {
  item?: Exchange;
  echo?: Exchange;
  health?: Exchange;
}

interface SplitJoined {
  byteAtATime: Exchange & { bytesWritten: number; bytes: number };
  splitBody: Exchange;
  pipelined: Exchange[];
  close11: Exchange & { closed?: CloseInfo; closeAfterMs?: number };
  close10: Exchange & { closed?: CloseInfo; closeAfterMs?: number };
}

interface BigHeader {
  attack: EndlessHeaderResult;
  rssBeforeMb?: number;
  rssAfterMb?: number;
  after: Outcome;
}

interface SlowKind {
  kind: string;
  opened: number;
  /** ms from the start of the slowness to the server's close, for each one it closed */
  closedAfterMs: number[];
  /** ones that never got slow (the first request was not answered) */
  notStarted: number;
}

interface SlowAndBusy {
  kinds: SlowKind[];
  active: { sent: number; ok: number; firstFailure?: string; failedAt?: number; closed?: CloseInfo };
}

const word = (e: Exchange) =>
  e.response ? `${e.response.status}${e.response.complete ? '' : ' (cut)'}` : `no answer (${describeError(e.error)})`;

function describeError(code?: string): string {
  switch (code) {
    case 'peer-fin':
      return 'connection closed';
    case 'peer-rst':
    case 'ECONNRESET':
      return 'connection reset';
    case 'ETIMEDOUT':
      return 'nothing within the wait';
    default:
      return code ?? 'none';
  }
}

const okBody = (e: Exchange | undefined, body: string) => !!e?.response?.complete && e.response.status === 200 && e.response.body.toString('latin1') === body;

async function exchange(p: Promise<RawResponse>): Promise<Exchange> {
  try {
    return { response: await p };
  } catch (err) {
    return { error: (err as { code?: string }).code ?? (err as Error).message };
  }
}

/** Sends raw bytes (already a whole request) and waits for the answer, then for the server's close. */
async function requestThenClose(host: string, port: number, bytes: Buffer): Promise<SplitJoined['close11']> {
  let conn: RawConn;
  try {
    conn = await RawConn.open(host, port, { timeoutMs: 2000 });
  } catch (err) {
    return { error: (err as { code?: string }).code };
  }
  try {
    const answer = exchange(conn.next(2000));
    conn.send(bytes);
    const r = await answer;
    if (!r.response) return { ...r, ...(conn.closeState ? { closed: conn.closeState } : {}) };
    const t0 = conn.age();
    const closed = await Promise.race([conn.closed, sleep(CLOSE_WITHIN_MS).then(() => undefined)]);
    return closed && closed.by !== 'local' ? { ...r, closed, closeAfterMs: Math.max(0, closed.atMs - t0) } : r;
  } finally {
    conn.close();
  }
}

/** Opens a connection, runs `f` on it, and always closes it (a failed connect makes the scenario inconclusive). */
async function withConn<T>(host: string, port: number, f: (c: RawConn) => Promise<T>): Promise<T> {
  const conn = await RawConn.open(host, port, { timeoutMs: 2000 });
  try {
    return await f(conn);
  } finally {
    conn.close();
  }
}

const closedBy = (c?: CloseInfo) => !!c && (c.by === 'peer-fin' || c.by === 'peer-rst');

export default defineChecker({
  lab: 'raw-conn-server',
  server: { admin: false },
  scenarios: [
    scenario<Basics>({
      title: 'Requests as curl sends them, on one kept-alive connection',
      deadlineMs: 5000,
      run: async ({ server }) => {
        const m: Basics = {};
        const conn = await RawConn.open(server.host, server.port, { timeoutMs: 2000 });
        try {
          m.item = await exchange(conn.request({ path: '/items/1' }, 2000));
          m.echo = await exchange(conn.request({ method: 'POST', path: '/echo', body: ECHO }, 2000));
          m.health = await exchange(conn.request({ path: '/healthz' }, 2000));
        } finally {
          conn.close();
        }
        return m;
      },
      checks: [
        {
          id: 'serves',
          title: 'Whole requests are answered, on one kept-alive connection',
          expected: `GET /items/1 → 200 ${JSON.stringify(itemBody(1))}, POST /echo → 200 echoing the body, GET /healthz → 200, one after the other on one connection`,
          measured: (m) => `items/1: ${m.item ? word(m.item) : 'not sent'}; echo: ${m.echo ? word(m.echo) : 'not sent'}; healthz: ${m.health ? word(m.health) : 'not sent'}`,
          pass: (m) => okBody(m.item, itemBody(1)) && okBody(m.echo, ECHO) && okBody(m.health, 'ok\n'),
          explanation: 'the server must work for an ordinary client before the unordinary ones can be judged; keep app.go as it is',
        },
      ],
    }),
    scenario<SplitJoined>({
      title: 'Requests split across segments, joined in one segment, and asking to close',
      deadlineMs: 8000,
      run: async ({ server, signal }) => {
        const { host, port } = server;
        const hostHeader = `${host}:${port}`;
        // Five connections at once; each part is independent of the others.
        const [byteAtATime, splitBody, pipelined, close11, close10] = await Promise.all([
          // a) one byte at a time, with a pause after the request line
          withConn(host, port, async (a) => {
            const get2 = encodeRequest({ path: '/items/2' }, hostHeader);
            const lineEnd = get2.indexOf('\r\n') + 2;
            const answer = exchange(a.next(get2.length * BYTE_CADENCE_MS + PAUSE_MS + 3000));
            let written = await a.writeSlowly(get2.subarray(0, lineEnd), { chunk: 1, cadenceMs: BYTE_CADENCE_MS, signal });
            await Promise.race([sleep(PAUSE_MS, signal), a.closed]);
            if (a.isOpen) written += await a.writeSlowly(get2.subarray(lineEnd), { chunk: 1, cadenceMs: BYTE_CADENCE_MS, signal });
            return { ...(await answer), bytesWritten: written, bytes: get2.length };
          }),
          // b) the head, then the body in a second write
          withConn(host, port, async (b) => {
            const post = encodeRequest({ method: 'POST', path: '/echo', body: ECHO }, hostHeader);
            const headEnd = post.indexOf('\r\n\r\n') + 4;
            const answer = exchange(b.next(PAUSE_MS + 3000));
            b.send(post.subarray(0, headEnd));
            await Promise.race([sleep(PAUSE_MS, signal), b.closed]);
            if (b.isOpen) b.socket.write(post.subarray(headEnd));
            return answer;
          }),
          // c) three requests in one write
          withConn(host, port, async (c) => {
            const answers = [1, 2, 3].map(() => exchange(c.next(PIPELINE_WAIT_MS)));
            c.send(Buffer.concat([1, 2, 3].map((n) => encodeRequest({ path: `/items/${n}` }, hostHeader))));
            return Promise.all(answers);
          }),
          // d) asking to close
          requestThenClose(host, port, encodeRequest({ path: '/items/3', headers: { Connection: 'close' } }, hostHeader)),
          requestThenClose(host, port, Buffer.from('GET /items/4 HTTP/1.0\r\n\r\n', 'latin1')),
        ]);
        return { byteAtATime, splitBody, pipelined, close11, close10 };
      },
      checks: [
        {
          id: 'fragmented',
          title: 'A request that arrives in pieces is answered',
          expected: `GET /items/2 written one byte every ${BYTE_CADENCE_MS} ms (and a ${PAUSE_MS} ms pause after the request line) → 200 ${JSON.stringify(itemBody(2))}; POST /echo with its body ${PAUSE_MS} ms after its head → 200 echoing the body`,
          measured: (m) =>
            `one byte at a time: ${word(m.byteAtATime)}${m.byteAtATime.response || m.byteAtATime.bytesWritten >= m.byteAtATime.bytes ? '' : ` after ${m.byteAtATime.bytesWritten} of ${m.byteAtATime.bytes} bytes`}` +
            `${m.byteAtATime.response && !okBody(m.byteAtATime, itemBody(2)) ? ` ${JSON.stringify(m.byteAtATime.response.body.toString('latin1').slice(0, 60))}` : ''}` +
            `; body in a second write: ${word(m.splitBody)}${m.splitBody.response && !okBody(m.splitBody, ECHO) ? ` ${JSON.stringify(m.splitBody.response.body.toString('latin1').slice(0, 60))}` : ''}`,
          pass: (m) => okBody(m.byteAtATime, itemBody(2)) && okBody(m.splitBody, ECHO),
          explanation: (m, passed) =>
            passed
              ? 'the server buffers what it reads until a whole request head (and then its whole body) is there, however the bytes were split'
              : 'TCP is a byte stream: a Read returns whatever has arrived, from one byte to many requests. A server that parses each Read as one request answers 400 to a request split across segments, and a client that writes its head and its body separately (Node, curl with Expect: 100-continue, any proxy) is one such',
          hint: 'keep a bufio.Reader per connection and let http.ReadRequest read from it: it reads as many times as it needs for a whole head, and req.Body reads the body to its Content-Length',
        },
        {
          id: 'pipelined',
          title: 'Three requests in one segment get three responses, in order',
          expected: 'GET /items/1, /items/2, /items/3 written in one write → 200 item 1, 200 item 2, 200 item 3, in that order',
          measured: (m) => {
            const answered = m.pipelined.filter((e) => e.response).length;
            const inOrder = m.pipelined.map((e, i) => (okBody(e, itemBody(i + 1)) ? `item ${i + 1}` : e.response ? `${e.response.status} ${JSON.stringify(e.response.body.toString('latin1').trim().slice(0, 40))}` : 'nothing')).join(', ');
            return `${answered} of 3 answered: ${inOrder}`;
          },
          pass: (m) => m.pipelined.length === 3 && m.pipelined.every((e, i) => okBody(e, itemBody(i + 1))),
          explanation: (m, passed) =>
            passed
              ? 'the bytes after the first request stayed in the connection\'s buffer and were parsed as the next requests, answered in the order they came (HTTP/1.1 pipelining, RFC 9112 section 9.3.2)'
              : 'one Read carried all three requests. A server that parses one request per Read drops the rest; so does one that makes a new bufio.Reader for each request, because the old one had already read the next requests into its buffer',
          hint: 'one bufio.Reader for the whole connection, created before the loop, never replaced: the bytes it has read ahead are the next requests',
        },
        {
          id: 'connection-close',
          title: 'Connection: close and HTTP/1.0 are honoured',
          expected: `GET /items/3 with "Connection: close", and GET /items/4 HTTP/1.0: each answered 200, then closed by the server within ${CLOSE_WITHIN_MS / 1000} s`,
          measured: (m) =>
            [
              ['Connection: close', m.close11],
              ['HTTP/1.0', m.close10],
            ]
              .map(([name, e]) => {
                const x = e as SplitJoined['close11'];
                if (!x.response) return `${name}: no answer (${describeError(x.error)})`;
                return `${name}: ${word(x)}, ${closedBy(x.closed) ? `closed by the server after ${x.closeAfterMs} ms` : `still open after ${CLOSE_WITHIN_MS / 1000} s`}`;
              })
              .join('; '),
          pass: (m) => okBody(m.close11, itemBody(3)) && okBody(m.close10, itemBody(4)) && closedBy(m.close11.closed) && closedBy(m.close10.closed),
          explanation: (m, passed) =>
            passed
              ? 'the server closes when the client asked it to (Connection: close) and when HTTP/1.0 implies it (no Connection: keep-alive); a client reading to the end of the connection is not left waiting'
              : 'the client said this is its last request: HTTP/1.1 "Connection: close", or HTTP/1.0, where closing is the default. A server that keeps the connection open holds a socket and a goroutine for nothing, and a client that reads until the connection ends waits for ever',
          hint: 'http.ReadRequest sets req.Close for both cases: answer with "Connection: close" and close the connection after the response',
        },
      ],
    }),
    scenario<BigHeader>({
      title: 'A request header that never ends',
      deadlineMs: 8000,
      run: async ({ server, signal, progress }) => {
        const rssBefore = tryProcStats(server.pid)?.rssBytes;
        const attack = await sendEndlessHeader({ host: server.host, port: server.port, path: '/items/1', maxBytes: HEADER_CAP, answerTimeoutMs: ANSWER_WAIT_MS, signal });
        const rssAfter = tryProcStats(server.pid)?.rssBytes;
        progress(attack.response ? `answered ${attack.response.status}` : `no answer after ${Math.round(attack.sentBytes / 1024)} KiB`);
        const after = await httpRequest(server.host, server.port, { path: '/items/1' }, 2000);
        return {
          attack,
          after,
          ...(rssBefore !== undefined ? { rssBeforeMb: rssBefore / 2 ** 20 } : {}),
          ...(rssAfter !== undefined ? { rssAfterMb: rssAfter / 2 ** 20 } : {}),
        };
      },
      checks: [
        {
          id: 'header-limit-431',
          title: 'An oversized header is rejected with 431 before it ends',
          expected: `a request head that never ends (up to ${HEADER_CAP >> 20} MiB sent) is answered 431 Request Header Fields Too Large; GET /items/1 on a new connection still answers 200`,
          measured: (m) => {
            const a = m.attack;
            const kib = (n: number) => `${Math.round(n / 1024)} KiB`;
            const rss = m.rssBeforeMb !== undefined && m.rssAfterMb !== undefined ? `; server RSS ${m.rssBeforeMb.toFixed(1)} → ${m.rssAfterMb.toFixed(1)} MiB` : '';
            const head = a.connectError
              ? `could not connect: ${a.connectError}`
              : a.response
                ? `${a.response.status} ${a.response.reason} (first answer byte after ${kib(a.answeredAtBytes ?? a.sentBytes)} sent)`
                : a.closed
                  ? `connection ${a.closed.by === 'peer-rst' ? 'reset' : 'closed'} without an answer after ${kib(a.sentBytes)}`
                  : a.stalled
                    ? `no answer: the server stopped reading after about ${kib(a.sentBytes)} and said nothing for ${ANSWER_WAIT_MS / 1000} s`
                    : `no answer after ${kib(a.sentBytes)} sent and ${ANSWER_WAIT_MS / 1000} s of waiting`;
            return `${head}${rss}; afterwards: ${m.after.ok ? m.after.response!.status : `no answer (${describeError(m.after.error)})`}`;
          },
          pass: (m) => m.attack.response?.status === 431 && m.after.ok && m.after.response!.status === 200,
          explanation: (m, passed) =>
            passed
              ? 'the server stopped at its limit and said why: 431 tells the client what is wrong, and the memory a request can take is bounded by the limit, not by the client'
              : m.attack.closed?.by === 'peer-rst' && !m.attack.response
                ? 'the connection was reset and no answer could be read: either the server closed it without answering, or it answered and closed at once while the client was still sending, and the reset destroyed the answer. Answer 431, then half-close (CloseWrite), pause, and close, as net/http does (closeWriteAndWait)'
                : m.attack.response
                  ? `the server answered ${m.attack.response.status}, not 431. 431 Request Header Fields Too Large (RFC 6585) is what net/http answers past MaxHeaderBytes, and it tells the client (and whoever reads the logs) that the head was too big, not malformed. A 400 from a parser that saw only the part of the head one Read returned is the one-Read-one-request bug again`
                  : 'the server kept reading a head that never ends: a check of the header size made after the head is complete never runs, and the server\'s memory grows with whatever the client sends. http.ReadRequest has no limit of its own: net/http enforces MaxHeaderBytes by limiting the reader underneath it',
          hint: 'put an io.LimitedReader between the connection and the bufio.Reader, set its N before each request head (your limit plus the bufio buffer size), and when ReadRequest fails with N at 0, answer 431 and close',
        },
      ],
    }),
    scenario<SlowAndBusy>({
      title: `Silent and slow clients, and a busy keep-alive client, for ${ACTIVE_MS / 1000} s`,
      deadlineMs: ACTIVE_MS + 4000,
      run: async ({ server, signal, progress }) => {
        const { host, port } = server;
        const stop = new AbortController();
        setMaxListeners(0, stop.signal); // every slow write waits on it
        const onAbort = () => stop.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        const silent: { conn?: RawConn; closed?: CloseInfo }[] = [];
        const slowFirst = new SlowHeaderAttack({ host, port, connections: SLOW_EACH, cadenceMs: SLOW_CADENCE_MS, signal: stop.signal });
        const slowSecond = new SlowHeaderAttack({ host, port, connections: SLOW_EACH, cadenceMs: SLOW_CADENCE_MS, firstRequest: { path: '/items/5' }, signal: stop.signal });
        let busy: RawConn | undefined;
        const active: SlowAndBusy['active'] = { sent: 0, ok: 0 };
        try {
          for (let i = 0; i < SLOW_EACH; i++) {
            const entry: (typeof silent)[number] = {};
            silent.push(entry);
            try {
              entry.conn = await RawConn.open(host, port, { timeoutMs: 2000 });
              entry.conn.closed.then((c) => {
                if (closedBy(c)) entry.closed = c;
              });
            } catch {
              /* counted as not opened */
            }
          }
          await Promise.all([slowFirst.start(), slowSecond.start()]);
          busy = await RawConn.open(host, port, { timeoutMs: 2000 });
          progress(`${silent.filter((s) => s.conn).length + slowFirst.connected() + slowSecond.connected()} slow or silent connections, one busy client`);
          const t0 = Date.now();
          for (let i = 0; Date.now() - t0 < ACTIVE_MS && !signal.aborted; i++) {
            const n = (i % 100) + 1;
            active.sent++;
            const r = await exchange(busy.request({ path: `/items/${n}` }, 2000));
            if (okBody(r, itemBody(n))) active.ok++;
            else {
              active.firstFailure ??= word(r);
              active.failedAt ??= Date.now() - t0;
              if (!busy.isOpen) break;
            }
            await sleep(Math.max(0, t0 + (i + 1) * ACTIVE_EVERY_MS - Date.now()), signal);
          }
          // If the busy client stopped early, give the slow ones the rest of their window.
          const deadline = t0 + SLOW_WINDOW_MS;
          while (Date.now() < deadline && !signal.aborted && (silent.some((s) => s.conn?.isOpen) || slowFirst.stillOpen() + slowSecond.stillOpen() > 0)) await sleep(100, signal);
          if (busy.closeState && closedBy(busy.closeState)) active.closed = busy.closeState;
          const kind = (name: string, a: SlowHeaderAttack): SlowKind => ({
            kind: name,
            opened: a.connected(),
            closedAfterMs: a.conns.flatMap((c) => (c.closedByServer && c.headStartMs !== undefined ? [Math.max(0, c.closedByServer.atMs - c.headStartMs)] : [])),
            notStarted: a.conns.filter((c) => c.conn && c.headStartMs === undefined).length,
          });
          return {
            kinds: [
              {
                kind: 'silent (nothing sent)',
                opened: silent.filter((s) => s.conn).length,
                closedAfterMs: silent.flatMap((s) => (s.closed ? [s.closed.atMs] : [])),
                notStarted: 0,
              },
              kind('slow first head', slowFirst),
              kind('slow second head after one answered request', slowSecond),
            ],
            active,
          };
        } finally {
          signal.removeEventListener('abort', onAbort);
          stop.abort();
          slowFirst.stop();
          slowSecond.stop();
          for (const s of silent) s.conn?.close();
          busy?.close();
        }
      },
      checks: [
        {
          id: 'slow-client-closed',
          title: 'Silent and slow clients are closed by the server',
          expected: `each of the ${SLOW_EACH * 3} connections (${SLOW_EACH} silent, ${SLOW_EACH} with a slow first head, ${SLOW_EACH} with a slow second head) is closed by the server within ${SLOW_WINDOW_MS / 1000} s`,
          measured: (m) =>
            m.kinds
              .map((k) => {
                const open = k.opened - k.closedAfterMs.length;
                if (k.notStarted) return `${k.kind}: ${k.notStarted} of ${k.opened} never got their first request answered`;
                if (!open) return `${k.kind}: all ${k.opened} closed, the slowest after ${(Math.max(...k.closedAfterMs) / 1000).toFixed(1)} s`;
                return `${k.kind}: ${open} of ${k.opened} still open after ${SLOW_WINDOW_MS / 1000} s`;
              })
              .join('; '),
          pass: (m) => m.kinds.every((k) => k.opened === SLOW_EACH && k.notStarted === 0 && k.closedAfterMs.length === k.opened && k.closedAfterMs.every((t) => t <= SLOW_WINDOW_MS)),
          explanation: (m, passed) =>
            passed
              ? 'every wait for the client is bounded: for the next request head (idle time included), and for the head itself, on the first request and on every later one'
              : m.kinds[2]!.opened - m.kinds[2]!.closedAfterMs.length > 0 && m.kinds[0]!.closedAfterMs.length === m.kinds[0]!.opened
                ? 'the first request of a connection is bounded, the next ones are not: a deadline set once (at accept, or before the first request) and then cleared or never re-armed lets a kept-alive client hold the connection for ever. net/http arms the read deadline again for every request'
                : 'with no read deadline, a Read on a connection whose client sends nothing waits for ever: each such client holds a goroutine and a file descriptor, and a few thousand of them exhaust the process (slowloris)',
          hint: `before reading each request, c.SetReadDeadline(time.Now().Add(d)) with d of a few seconds (at most 3 s here); it bounds the idle wait and the head together. Set another deadline for the body, and a write deadline for the response`,
        },
        {
          id: 'keepalive-active',
          title: 'A busy keep-alive client keeps its connection',
          expected: `a request every ${ACTIVE_EVERY_MS} ms for ${ACTIVE_MS / 1000} s on one connection: all answered 200, the connection never closed`,
          measured: (m) =>
            m.active.ok === m.active.sent
              ? `${m.active.ok} of ${m.active.sent} answered on one connection`
              : `${m.active.ok} of ${m.active.sent} answered; then ${m.active.firstFailure} at ${((m.active.failedAt ?? 0) / 1000).toFixed(1)} s${m.active.closed ? ` (connection ${m.active.closed.by === 'peer-rst' ? 'reset' : 'closed'} by the server)` : ''}`,
          pass: (m) => m.active.sent >= Math.floor(ACTIVE_MS / ACTIVE_EVERY_MS) - 2 && m.active.ok === m.active.sent,
          explanation: (m, passed) =>
            passed
              ? 'the deadlines are per request, so a client that keeps using its connection keeps it'
              : 'a deadline on the whole connection (set once at accept and never moved) cuts a client that is using it: the deadline is absolute, and a keep-alive connection outlives it. Re-arm the read deadline for each request instead',
          hint: 'move the deadline forward before each request (SetReadDeadline(time.Now().Add(d)) at the top of the loop), rather than once when the connection is accepted',
        },
      ],
    }),
  ],
});
