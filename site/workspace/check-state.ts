// The Check panel's state, rebuilt from the checker's events by a pure reducer:
// the view renders a CheckState and never looks at events itself.
import type { CheckEvent, ProbeResult, ProbeStatus, Verdict } from '../../checkers/core/verdict.js';

export type ProbeRowStatus = 'pending' | 'running' | ProbeStatus;

export interface ProbeRow {
  id: string;
  title: string;
  status: ProbeRowStatus;
  /** the latest progress line while it runs */
  progress?: string;
  result?: ProbeResult;
}

export type CheckPhase = 'idle' | 'running' | 'done' | 'error' | 'stopped';

export interface CheckState {
  phase: CheckPhase;
  lab?: string;
  target?: string;
  /** the latest phase message ("building", "starting the server", ...) or the transport error */
  message?: string;
  probes: ProbeRow[];
  /** the server's output during the check, newest last, capped */
  serverLog: string[];
  verdict?: Verdict;
}

export const maxServerLogLines = 400;

export const initialCheckState: CheckState = { phase: 'idle', probes: [], serverLog: [] };

function upsert(probes: ProbeRow[], id: string, patch: (row: ProbeRow | undefined) => ProbeRow): ProbeRow[] {
  const i = probes.findIndex((p) => p.id === id);
  if (i < 0) return [...probes, patch(undefined)];
  const next = probes.slice();
  next[i] = patch(probes[i]);
  return next;
}

function statusOf(result: ProbeResult): ProbeStatus {
  return result.status ?? (result.passed ? 'passed' : 'failed');
}

export function reduceCheck(state: CheckState, event: CheckEvent): CheckState {
  switch (event.type) {
    case 'check-start':
      return {
        phase: 'running',
        lab: event.lab,
        target: event.target,
        probes: event.probes.map((p) => ({ id: p.id, title: p.title, status: 'pending' })),
        serverLog: [],
      };
    case 'phase':
      return { ...state, phase: 'running', message: event.message };
    case 'probe-start':
      return {
        ...state,
        probes: upsert(state.probes, event.id, (row) => ({ ...(row ?? { id: event.id }), title: event.title, status: 'running', progress: undefined })),
      };
    case 'probe-progress':
      return {
        ...state,
        probes: upsert(state.probes, event.id, (row) => ({ ...(row ?? { id: event.id, title: event.id }), status: 'running', progress: event.message })),
      };
    case 'probe-end': {
      const r = event.result;
      return {
        ...state,
        probes: upsert(state.probes, r.id, (row) => ({ ...(row ?? {}), id: r.id, title: r.title, status: statusOf(r), progress: undefined, result: r })),
      };
    }
    case 'server-log': {
      const log = state.serverLog.length >= maxServerLogLines ? state.serverLog.slice(1 - maxServerLogLines) : state.serverLog.slice();
      log.push(event.line);
      return { ...state, serverLog: log };
    }
    case 'check-end':
      return finish(state, event.verdict);
    default:
      // server-start, and events added to the engine later: nothing the panel shows
      return state;
  }
}

/** The verdict is the final word: its probe results win, and probes that never ran are skipped. */
function finish(state: CheckState, verdict: Verdict): CheckState {
  let probes = state.probes;
  for (const r of verdict.probes) {
    probes = upsert(probes, r.id, (row) => ({ ...(row ?? {}), id: r.id, title: r.title, status: statusOf(r), progress: undefined, result: r }));
  }
  probes = probes.map((p) => (p.status === 'pending' || p.status === 'running' ? { ...p, status: 'skipped', progress: undefined } : p));
  const broken = verdict.error && verdict.error.kind !== 'skipped';
  return {
    ...state,
    phase: broken ? 'error' : 'done',
    lab: verdict.lab,
    target: verdict.target,
    message: verdict.error?.message,
    probes,
    verdict,
  };
}

/** The check could not finish: the connection was lost, or the runtime refused. */
export function checkFailed(state: CheckState, message: string): CheckState {
  return { ...settle(state), phase: 'error', message };
}

/** The learner stopped the check. */
export function checkStopped(state: CheckState): CheckState {
  return { ...settle(state), phase: 'stopped', message: undefined };
}

function settle(state: CheckState): CheckState {
  return { ...state, probes: state.probes.map((p) => (p.status === 'pending' || p.status === 'running' ? { ...p, status: 'skipped', progress: undefined } : p)) };
}

export interface CheckCounts {
  total: number;
  passed: number;
  failed: number;
  inconclusive: number;
  skipped: number;
}

export function countProbes(state: CheckState): CheckCounts {
  const c: CheckCounts = { total: state.probes.length, passed: 0, failed: 0, inconclusive: 0, skipped: 0 };
  for (const p of state.probes) if (p.status !== 'pending' && p.status !== 'running') c[p.status]++;
  return c;
}

export interface AnnounceStrings {
  started(lab: string): string;
  probe(title: string, status: ProbeStatus): string;
  finished(verdict: Verdict, counts: CheckCounts): string;
}

/**
 * The sentence for screen readers (aria-live) after an event, or null when the event is not
 * worth interrupting for (phases, progress lines, server output).
 */
export function announcement(event: CheckEvent, next: CheckState, strings: AnnounceStrings): string | null {
  switch (event.type) {
    case 'check-start':
      return strings.started(event.lab);
    case 'probe-end':
      return strings.probe(event.result.title, statusOf(event.result));
    case 'check-end':
      return strings.finished(event.verdict, countProbes(next));
    default:
      return null;
  }
}
