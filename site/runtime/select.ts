// Which runtime a workspace tries, in order. Pure, so that the rules are tested as they are:
//   - an agent token (the address `npm start` or the Docker image printed): the agent; if no agent
//     answers there (a token kept from another day, a static host), the browser when it can;
//   - no token: the browser for a browser lab in a cross-origin isolated page, else the agent
//     (which then says what is missing: its token, or itself).
// The browser runtime needs the lab to be browser-capable (not kernel, not Docker-only) and the
// page to be cross-origin isolated (COOP/COEP: SharedArrayBuffer for the WebContainer).
export type RuntimeChoice = 'agent' | 'browser';

export interface ChoiceInput {
  token: string | null;
  lab: { runtimes: ('browser' | 'docker')[]; kernel: boolean };
  /** globalThis.crossOriginIsolated */
  isolated: boolean;
}

export interface RuntimePlan {
  order: RuntimeChoice[];
  /** why the browser runtime is not in the plan */
  browserBlocked?: 'not-browser-lab' | 'not-isolated';
}

export function browserCapable(lab: ChoiceInput['lab']): boolean {
  return lab.runtimes.includes('browser') && !lab.kernel;
}

export function planRuntimes({ token, lab, isolated }: ChoiceInput): RuntimePlan {
  const blocked = !browserCapable(lab) ? 'not-browser-lab' : !isolated ? 'not-isolated' : undefined;
  if (token) return blocked ? { order: ['agent'], browserBlocked: blocked } : { order: ['agent', 'browser'] };
  return blocked ? { order: ['agent'], browserBlocked: blocked } : { order: ['browser'] };
}
