// The agent's access token. The agent prints http://127.0.0.1:4321/?token=...; the first page
// opened with it keeps the token (sessionStorage for this tab, localStorage for the next ones)
// and strips it from the address bar, so it does not end up in bookmarks or screenshots.
export const TOKEN_KEY = 'goha.agentToken';

type Store = Pick<Storage, 'getItem' | 'setItem'>;

/**
 * Takes the token out of a URL. Returns the token to use (from the URL, or stored before) and,
 * when the URL carried one, the address to show instead (path, other parameters and hash kept).
 */
export function captureToken(href: string, stores: Store[]): { token: string | null; cleanUrl: string | null } {
  const url = new URL(href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    url.searchParams.delete('token');
    const token = fromUrl.trim() || null;
    if (token) for (const s of stores) safely(() => s.setItem(TOKEN_KEY, token));
    return { token: token ?? readToken(stores), cleanUrl: url.pathname + url.search + url.hash };
  }
  return { token: readToken(stores), cleanUrl: null };
}

export function readToken(stores: Store[]): string | null {
  for (const s of stores) {
    const t = safely(() => s.getItem(TOKEN_KEY));
    if (t) return t;
  }
  return null;
}

/** The browser's stores, the tab's first; storage can be missing or throw (privacy modes). */
export function browserStores(): Store[] {
  const out: Store[] = [];
  for (const name of ['sessionStorage', 'localStorage'] as const) {
    const s = safely(() => globalThis[name]);
    if (s) out.push(s);
  }
  return out;
}

function safely<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
