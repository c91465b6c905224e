// Tokens: one per learner. Natively there is a single learner ("default"); a classroom mode can
// hand out several tokens, one per learner, through the same table.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const defaultLearner = 'default';

/** Learner ids name a folder under WORKSPACES_DIR: keep them to safe characters. */
export const learnerIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** 32 random bytes, URL-safe: what the start-up line prints. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class Auth {
  /** token digests, so that every comparison is between equal-length buffers */
  private readonly entries: { digest: Buffer; learner: string }[] = [];

  /** `tokens`: token -> learner id */
  constructor(tokens: Record<string, string>) {
    for (const [token, learner] of Object.entries(tokens)) this.add(token, learner);
    if (!this.entries.length) throw new Error('the agent needs at least one token');
  }

  add(token: string, learner: string): void {
    if (token.length < 16) throw new Error('a token must have at least 16 characters');
    if (!learnerIdPattern.test(learner)) throw new Error(`bad learner id "${learner}": letters, digits, "-" and "_" only`);
    this.entries.push({ digest: digest(token), learner });
  }

  /**
   * The learner a presented token belongs to, or undefined. Constant time in the token's content:
   * every entry is compared, and the comparison is between SHA-256 digests of equal length.
   */
  learnerFor(token: string | undefined | null): string | undefined {
    if (!token) return undefined;
    const d = digest(token);
    let found: string | undefined;
    for (const e of this.entries) if (timingSafeEqual(d, e.digest)) found ??= e.learner;
    return found;
  }

  /** The token of a request: `Authorization: Bearer <token>`, else `?token=`. */
  static tokenOf(req: IncomingMessage, url: URL): string | undefined {
    const h = req.headers.authorization;
    if (h) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
      return m?.[1];
    }
    return url.searchParams.get('token') ?? undefined;
  }
}
