// TLS probes: one connection, one handshake, optionally one HTTP/1.1 request over it, and what
// the handshake showed: the negotiated version, whether the session was resumed, the
// certificate the server presented, and the session (ticket) to resume with next time.
// Never throws: failures come back as `error` (the alert text, a verification error, a timeout).
import { connect, checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';

export interface TlsProbeOptions {
  host: string;
  port: number;
  /** the SNI to send; undefined sends none (with an IP address as host) */
  servername?: string;
  /** CA certificate(s) to trust, PEM; the chain is always verified */
  ca: string | string[];
  /** the host name the certificate must be valid for (default: servername) */
  expectName?: string;
  /** a session from an earlier probe, to offer for resumption */
  session?: Buffer;
  /** send `GET path` with this Host header after the handshake and read the response */
  request?: { path?: string; hostHeader: string };
  timeoutMs?: number;
}

export interface TlsProbeResult {
  ok: boolean;
  error?: string;
  /** ms from connect to secureConnect */
  handshakeMs?: number;
  protocol?: string;
  resumed?: boolean;
  /** the subject CN and DNS names of the certificate the server presented (not sent on resumption) */
  peerCN?: string;
  peerDNS?: string[];
  /** the HTTP status of the request, when one was sent */
  status?: number;
  body?: string;
  /** the latest session (TLS 1.3: a ticket) the server gave, to resume with */
  session?: Buffer;
}

export function tlsProbe(opts: TlsProbeOptions): Promise<TlsProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const expect = opts.expectName ?? opts.servername;
  return new Promise((resolvePromise) => {
    const t0 = performance.now();
    let settled = false;
    let session: Buffer | undefined;
    let result: TlsProbeResult = { ok: false };
    const chunks: Buffer[] = [];
    const socket: TLSSocket = connect({
      host: opts.host,
      port: opts.port,
      ...(opts.servername ? { servername: opts.servername } : {}),
      ca: opts.ca,
      rejectUnauthorized: true,
      checkServerIdentity: (_host, cert) => (expect ? checkServerIdentity(expect, cert) : undefined),
      ...(opts.session ? { session: opts.session } : {}),
      ALPNProtocols: ['http/1.1'],
    });
    const timer = setTimeout(() => finish({ ...result, ok: false, error: result.error ?? `timed out after ${timeoutMs} ms` }), timeoutMs);
    function finish(r: TlsProbeResult, graceful = false) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (graceful) {
        // close_notify and FIN after everything written (our Finished included), so the server
        // sees a complete handshake and a clean close rather than "handshake error: EOF"
        socket.end();
        const t = setTimeout(() => socket.destroy(), 500);
        socket.once('close', () => clearTimeout(t));
      } else socket.destroy();
      resolvePromise({ ...r, ...(session ? { session } : {}) });
    }
    socket.on('session', (s: Buffer) => (session = s));
    socket.once('secureConnect', () => {
      const cert: PeerCertificate | undefined = socket.getPeerCertificate();
      const dns = typeof cert?.subjectaltname === 'string' ? cert.subjectaltname.split(/,\s*/).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)) : undefined;
      result = {
        ok: true,
        handshakeMs: Math.round((performance.now() - t0) * 100) / 100,
        protocol: socket.getProtocol() ?? undefined,
        resumed: socket.isSessionReused(),
        ...(cert && cert.subject ? { peerCN: String(cert.subject.CN ?? ''), peerDNS: dns } : {}),
      };
      if (!opts.request) {
        // A handshake-only probe. (A TLS 1.3 ticket arrives after the handshake: send a request
        // to be sure to get one.)
        finish(result, true);
        return;
      }
      socket.write(`GET ${opts.request.path ?? '/'} HTTP/1.1\r\nHost: ${opts.request.hostHeader}\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('end', () => {
      if (!result.ok) return finish({ ok: false, error: 'connection closed during the handshake' });
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const body = text.split('\r\n\r\n').slice(1).join('\r\n\r\n');
      finish(m ? { ...result, status: Number(m[1]), body } : { ...result, ok: false, error: `no HTTP response (${JSON.stringify(text.slice(0, 80))})` });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // after a complete response, a reset on close is not a failure
      if (result.ok && opts.request && chunks.length) return;
      finish({ ...result, ok: false, error: describeTlsError(err) });
    });
  });
}

/** TLS alert numbers (RFC 8446 section 6) a server may send during the handshake. */
const ALERTS: Record<number, string> = {
  10: 'unexpected_message', 20: 'bad_record_mac', 40: 'handshake_failure', 42: 'bad_certificate', 43: 'unsupported_certificate',
  46: 'certificate_unknown', 47: 'illegal_parameter', 48: 'unknown_ca', 50: 'decode_error', 51: 'decrypt_error',
  70: 'protocol_version', 71: 'insufficient_security', 80: 'internal_error', 109: 'missing_extension',
  110: 'unsupported_extension', 112: 'unrecognized_name', 120: 'no_application_protocol',
};

/** "the server sent a TLS alert: internal_error (80)" rather than OpenSSL's routine path. */
export function describeTlsError(err: NodeJS.ErrnoException): string {
  const n = /alert number (\d+)/i.exec(err.message);
  if (n) return `the server sent a TLS alert: ${ALERTS[Number(n[1])] ?? 'alert'} (${n[1]})`;
  return err.code ? `${err.code}: ${err.message}` : err.message;
}
