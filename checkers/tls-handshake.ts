// tls-handshake: an HTTPS server for three sites whose tls.Config.GetCertificate reads and
// parses the site's certificate and key from disk (tls.LoadX509KeyPair) on every handshake,
// and fails the handshake of a client that sends no server name (SNI).
//
// Before the server starts, the checker generates a test CA and a certificate + key per host
// (ECDSA P-256, openssl) into CERT_DIR; no private key is committed. Probes connect with Node's
// tls module, verify the chain against that CA and the host name, and count, from outside the
// process, every open(2) of a file in CERT_DIR (inotify): the server cannot fake either.
//
// The probes, in order:
//   - serves-names:       each of the three hosts, asked for by SNI, presents its own valid
//                         certificate and answers GET / with 200 (this also warms any lazy cache)
//   - cert-loads-bounded: HANDSHAKES full handshakes (no resumption), PARALLEL at a time, SNI
//                         round-robin over the hosts: the certificate files are opened at most
//                         MAX_OPENS times in all (starter: 2 per handshake, 200)
//   - no-sni-default:     a handshake without SNI succeeds with the main site's certificate
//                         (starter: "no certificate", the handshake fails with an alert)
//   - resumption:         RESUMPTIONS reconnects offering the last session ticket: at least
//                         MIN_RESUMED resume (SessionTicketsDisabled: true resumes none)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirWatch } from './core/fs-watch.js';
import { generateTestPki } from './core/tls/certs.js';
import { tlsProbe, type TlsProbeResult } from './core/tls/client.js';
import { defineChecker, scenario, type ScenarioContext } from './core/spec.js';

/** main.go's hosts; the first is the main site, whose certificate is the default */
const HOSTS = ['www.shop.test', 'api.shop.test', 'admin.shop.test'];
const DEFAULT_HOST = HOSTS[0]!;
const HANDSHAKES = 100;
const PARALLEL = 10;
/** 6 files (a .crt and a .key per host): each opened twice at most, i.e. loaded once plus one reload */
const MAX_OPENS = 2 * 2 * HOSTS.length;
const RESUMPTIONS = 20;
const MIN_RESUMED = 18;
const HANDSHAKE_ERROR = /TLS handshake error/;

const certDir = (ctx: ScenarioContext) => join(ctx.tmpDir, 'certs');
const caPem = (ctx: ScenarioContext) => readFileSync(join(ctx.tmpDir, 'ca', 'ca.crt'), 'utf8');

/** The server's own account of failed handshakes ("http: TLS handshake error from ...: ...") while `fn` runs (waiting up to 200 ms for one). */
async function withHandshakeLog<T>(ctx: ScenarioContext, fn: () => Promise<T>): Promise<{ result: T; logged: string[] }> {
  const logged: string[] = [];
  let on = true;
  ctx.server.onLine((line) => {
    if (on && HANDSHAKE_ERROR.test(line) && logged.length < 5) logged.push(line.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d(\.\d+)? /, ''));
  });
  try {
    const result = await fn();
    // the server's log line can trail the client's error by a moment
    for (let i = 0; i < 10 && !logged.length; i++) await new Promise((r) => setTimeout(r, 20));
    return { result, logged };
  } finally {
    on = false;
  }
}

const describe = (r: TlsProbeResult) =>
  r.ok ? `${r.status ?? 'handshake ok'}${r.peerCN !== undefined ? `, certificate for ${r.peerDNS?.join(' ') || r.peerCN}` : ''}` : `failed: ${r.error}`;

interface NamesMeasurement {
  probes: { host: string; r: TlsProbeResult }[];
}

interface OpensMeasurement {
  ok: number;
  failed: number;
  firstError?: string;
  opens: number;
  byFile: Record<string, number>;
  meanHandshakeMs: number;
}

interface NoSniMeasurement {
  r: TlsProbeResult;
  logged: string[];
}

interface ResumptionMeasurement {
  first: TlsProbeResult;
  ok: number;
  resumed: number;
  firstError?: string;
}

export default defineChecker({
  lab: 'tls-handshake',
  server: { admin: false },
  prepare: async ({ tmpDir }) => {
    const pki = await generateTestPki(tmpDir, HOSTS);
    return { env: { CERT_DIR: pki.certDir } };
  },
  scenarios: [
    scenario<NamesMeasurement>({
      title: 'Each site presents its own certificate',
      deadlineMs: 6000,
      run: async (ctx) => {
        const ca = caPem(ctx);
        const probes = [];
        for (const host of HOSTS) {
          const r = await tlsProbe({ host: ctx.server.host, port: ctx.server.port, servername: host, ca, request: { hostHeader: host }, timeoutMs: 1500 });
          probes.push({ host, r });
        }
        return { probes };
      },
      checks: [
        {
          id: 'serves-names',
          title: 'Each site, asked for by name (SNI), presents its own valid certificate',
          expected: `for ${HOSTS.join(', ')}: a verified certificate for that name, and GET / answered 200`,
          measured: (m) => m.probes.map((p) => `${p.host}: ${describe(p.r)}`).join('; '),
          pass: (m) => m.probes.every((p) => p.r.ok && p.r.status === 200 && (p.r.peerDNS ?? []).includes(p.host)),
          explanation: 'the server must keep serving each site with its own certificate, whatever you change in certs.go',
        },
      ],
    }),
    scenario<OpensMeasurement>({
      title: `${HANDSHAKES} full handshakes, ${PARALLEL} at a time, while the certificate directory is watched`,
      deadlineMs: 10_000,
      run: async (ctx) => {
        const ca = caPem(ctx);
        const watch = await DirWatch.start(certDir(ctx), ['open']);
        let ok = 0;
        let failed = 0;
        let firstError: string | undefined;
        let totalMs = 0;
        let next = 0;
        try {
          const worker = async () => {
            while (next < HANDSHAKES && !ctx.signal.aborted) {
              const host = HOSTS[next++ % HOSTS.length]!;
              // no session offered: a full handshake, so the server has to pick a certificate
              const r = await tlsProbe({ host: ctx.server.host, port: ctx.server.port, servername: host, ca, timeoutMs: 5000 });
              if (r.ok) {
                ok++;
                totalMs += r.handshakeMs ?? 0;
              } else {
                failed++;
                firstError ??= `${host}: ${r.error}`;
              }
            }
          };
          await Promise.all(Array.from({ length: PARALLEL }, worker));
        } finally {
          await watch.stop();
        }
        ctx.progress(`${ok} handshakes, ${watch.count('OPEN')} opens in the certificate directory`);
        // cut short by the deadline (an overloaded machine): not a verdict on the server
        if (ctx.signal.aborted) throw new Error(`only ${ok + failed} of ${HANDSHAKES} handshakes were made before the deadline`);
        return { ok, failed, firstError, opens: watch.count('OPEN'), byFile: watch.byFile('OPEN'), meanHandshakeMs: ok ? Math.round((totalMs / ok) * 100) / 100 : 0 };
      },
      checks: [
        {
          id: 'cert-loads-bounded',
          title: 'Certificates are read from disk a bounded number of times, not once per handshake',
          expected: `${HANDSHAKES} handshakes succeed, and the files in CERT_DIR are opened at most ${MAX_OPENS} times in all`,
          measured: (m) => {
            const files = Object.entries(m.byFile)
              .sort((a, b) => b[1] - a[1])
              .map(([f, n]) => `${f} ×${n}`)
              .join(', ');
            return (
              `${m.opens} opens for ${m.ok} handshakes (${(m.opens / Math.max(1, m.ok)).toFixed(2)} per handshake)${files ? `: ${files}` : ''}; ` +
              `mean handshake ${m.meanHandshakeMs} ms` +
              (m.failed ? `; ${m.failed} handshakes failed, e.g. ${m.firstError}` : '')
            );
          },
          pass: (m) => m.ok === HANDSHAKES && m.opens <= MAX_OPENS,
          explanation: (m, passed) =>
            passed
              ? 'the certificates are parsed once and served from memory: a handshake costs the signature, not a disk read and a PEM/X.509 parse'
              : m.ok < HANDSHAKES
                ? 'some handshakes failed: look at the error above and at your server log'
                : 'crypto/tls calls GetCertificate on every full handshake; reading the files there (tls.LoadX509KeyPair: two opens, a PEM decode, an X.509 and a private-key parse) multiplies that work by the handshake rate, and a slow or failing disk now fails handshakes',
          hint: 'load each certificate once (at start-up, or the first time its name is asked for) and keep the parsed *tls.Certificate in a map keyed by server name; GetCertificate only looks it up',
        },
      ],
    }),
    scenario<NoSniMeasurement>({
      title: 'A client that sends no server name',
      deadlineMs: 5000,
      run: async (ctx) => {
        const ca = caPem(ctx);
        const { result, logged } = await withHandshakeLog(ctx, () =>
          tlsProbe({ host: ctx.server.host, port: ctx.server.port, ca, expectName: DEFAULT_HOST, request: { hostHeader: DEFAULT_HOST }, timeoutMs: 1500 }),
        );
        return { r: result, logged };
      },
      checks: [
        {
          id: 'no-sni-default',
          title: 'A handshake without SNI gets the main site\'s certificate',
          expected: `the handshake succeeds with a valid certificate for ${DEFAULT_HOST}, and GET / is answered 200`,
          measured: (m) => `${describe(m.r)}${m.logged.length ? `; your server logged: ${m.logged[0]}` : ''}`,
          pass: (m) => m.r.ok && m.r.status === 200 && (m.r.peerDNS ?? []).includes(DEFAULT_HOST),
          explanation: (m, passed) =>
            passed
              ? 'clients that send no SNI (old libraries, health checks and scripts that connect by IP address) get the main site'
              : 'without SNI, ClientHelloInfo.ServerName is empty: a GetCertificate that has no answer for "" (an error, or nil with no tls.Config.Certificates) aborts the handshake with an alert',
          hint: `serve a default certificate (the main site, ${DEFAULT_HOST}) when ServerName is empty or unknown: return it from GetCertificate, or put it first in tls.Config.Certificates`,
        },
      ],
    }),
    scenario<ResumptionMeasurement>({
      title: `${RESUMPTIONS} reconnects that offer a session ticket`,
      deadlineMs: 8000,
      run: async (ctx) => {
        const ca = caPem(ctx);
        const host = HOSTS[1]!;
        const probe = (session?: Buffer) => tlsProbe({ host: ctx.server.host, port: ctx.server.port, servername: host, ca, session, request: { hostHeader: host }, timeoutMs: 1500 });
        const first = await probe();
        let session = first.session;
        let ok = 0;
        let resumed = 0;
        let firstError: string | undefined;
        for (let i = 0; i < RESUMPTIONS && !ctx.signal.aborted; i++) {
          const r = await probe(session);
          if (r.ok && r.status === 200) ok++;
          else firstError ??= r.error ?? `status ${r.status}`;
          if (r.resumed) resumed++;
          session = r.session ?? session;
        }
        return { first, ok, resumed, firstError };
      },
      checks: [
        {
          id: 'resumption',
          title: 'Returning clients resume their TLS session',
          expected: `at least ${MIN_RESUMED} of ${RESUMPTIONS} reconnects resume the session (TLS 1.3 session tickets)`,
          measured: (m) =>
            `${m.resumed} of ${RESUMPTIONS} resumed (${m.first.protocol ?? 'no handshake'}, ${m.first.session ? 'a ticket was issued' : 'no ticket was issued'})` +
            (m.ok < RESUMPTIONS ? `; ${RESUMPTIONS - m.ok} failed, e.g. ${m.firstError}` : ''),
          pass: (m) => m.ok === RESUMPTIONS && m.resumed >= MIN_RESUMED,
          explanation: (m, passed) =>
            passed
              ? 'a resumed TLS 1.3 handshake skips the certificate and its signature (crypto/tls does not even call GetCertificate), which is the cheapest handshake there is'
              : m.first.session
                ? 'the server issued tickets but did not accept them back'
                : 'the server issued no session ticket: with SessionTicketsDisabled every reconnect pays a full handshake, certificate signature included',
          hint: 'leave session tickets on (SessionTicketsDisabled false, the default); crypto/tls rotates the ticket keys itself',
        },
      ],
    }),
  ],
});
