// Each lab's progress, kept in the learner's browser (localStorage) and written by the Check panel.
// "not-started" is the absence of a record.
import type { Verdict } from '../../checkers/core/verdict.js';

export type LabStatus = 'not-started' | 'failing' | 'passed';

export interface StatusRecord {
  status: Exclude<LabStatus, 'not-started'>;
  /** when the deciding check ended (ms since the epoch) */
  at: number;
  probesPassed: number;
  probesTotal: number;
}

export const STATUS_KEY = 'goha.labStatus.v1';

type Store = Pick<Storage, 'getItem' | 'setItem'>;

export function readStatuses(store: Store | undefined): Record<string, StatusRecord> {
  if (!store) return {};
  try {
    const raw = JSON.parse(store.getItem(STATUS_KEY) ?? '{}') as unknown;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
    const out: Record<string, StatusRecord> = {};
    for (const [lab, rec] of Object.entries(raw as Record<string, Partial<StatusRecord>>)) {
      if (rec && (rec.status === 'passed' || rec.status === 'failing') && typeof rec.at === 'number') {
        out[lab] = { status: rec.status, at: rec.at, probesPassed: Number(rec.probesPassed) || 0, probesTotal: Number(rec.probesTotal) || 0 };
      }
    }
    return out;
  } catch {
    return {};
  }
}

export function statusOf(store: Store | undefined, lab: string): LabStatus {
  return readStatuses(store)[lab]?.status ?? 'not-started';
}

/**
 * What a verdict means for the lab's status: the last conclusive check decides.
 * A pass passes; a failure or a build/start error fails; an inconclusive or skipped check
 * (the machine could not measure, or the runtime cannot run the lab) changes nothing.
 */
export function statusAfter(previous: LabStatus, verdict: Pick<Verdict, 'passed' | 'status'>): LabStatus {
  if (verdict.passed) return 'passed';
  if (verdict.status === 'failed' || verdict.status === 'error') return 'failing';
  return previous;
}

/** Records a finished check; returns the lab's new status. */
export function recordVerdict(store: Store | undefined, verdict: Verdict, now = Date.now()): LabStatus {
  const all = readStatuses(store);
  const previous = all[verdict.lab]?.status ?? 'not-started';
  const next = statusAfter(previous, verdict);
  if (next === 'not-started' || !store) return next;
  if (next === previous && !(verdict.passed || verdict.status === 'failed' || verdict.status === 'error')) return next;
  all[verdict.lab] = {
    status: next,
    at: now,
    probesPassed: verdict.probes.filter((p) => p.passed).length,
    probesTotal: verdict.probes.length,
  };
  try {
    store.setItem(STATUS_KEY, JSON.stringify(all));
  } catch {
    /* storage full or disabled: the status lives for this page only */
  }
  return next;
}

export function localStore(): Store | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}
