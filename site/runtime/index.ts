// Picks the runtime for this page. The UI imports runtimes only through here.
// Today: the lab agent (Docker image or `npm start`), found at the page's own origin.
// Later: a WebContainer runtime for labs whose runtimes include "browser", when no agent answers.
import { browserStores, readToken } from '../lib/token.js';
import type { Runtime } from './types.js';

export type { Runtime } from './types.js';
export { RuntimeUnavailableError, FormatError } from './types.js';

export interface RuntimeRequest {
  lab: { id: string; runtimes: ('browser' | 'docker')[]; kernel: boolean };
}

export async function connectRuntime(_request: RuntimeRequest): Promise<Runtime> {
  const { AgentRuntime } = await import('./agent.js');
  return AgentRuntime.connect({ token: readToken(browserStores()) });
}
