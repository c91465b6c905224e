// Picks the runtime for this page (rules: select.ts). The UI imports runtimes only through here,
// and each runtime's code is loaded only when it is tried: the lesson page carries neither.
import { browserStores, readToken } from '../lib/token.js';
import { planRuntimes, type RuntimePlan } from './select.js';
import { RuntimeUnavailableError, type Runtime } from './types.js';
import type { ConnectProgress } from './webcontainer.js';

export type { Runtime } from './types.js';
export type { ConnectProgress } from './webcontainer.js';
export { RuntimeUnavailableError, FormatError } from './types.js';
export { browserCapable, type RuntimePlan } from './select.js';

export interface RuntimeRequest {
  lab: { id: string; runtimes: ('browser' | 'docker')[]; kernel: boolean };
  /** the browser runtime's start-up (boot, download, mount) as it goes */
  onProgress?(progress: ConnectProgress): void;
}

/** The plan for this page: what connectRuntime will try, and why the browser is not in it. */
export function runtimePlan(request: RuntimeRequest): RuntimePlan {
  return planRuntimes({
    token: readToken(browserStores()),
    lab: request.lab,
    isolated: globalThis.crossOriginIsolated === true,
  });
}

/**
 * The first runtime of the plan that answers. A refused token stops the search (the agent is
 * there, the page must get its token); an absent agent lets the browser runtime try. When
 * nothing answers, the last error says why.
 */
export async function connectRuntime(request: RuntimeRequest): Promise<Runtime> {
  const token = readToken(browserStores());
  const plan = runtimePlan(request);
  let last: unknown;
  for (const choice of plan.order) {
    try {
      if (choice === 'agent') {
        const { AgentRuntime } = await import('./agent.js');
        return await AgentRuntime.connect({ token });
      }
      const { WebContainerRuntime } = await import('./webcontainer.js');
      return await WebContainerRuntime.connect({ onProgress: request.onProgress });
    } catch (err) {
      last = err;
      if (!(err instanceof RuntimeUnavailableError) || err.reason === 'unauthorized') throw err;
    }
  }
  throw last;
}
