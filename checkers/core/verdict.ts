// The verdict model and the events a running check emits.
// One shape for the console, --json, JUnit, the agent's WebSocket and the browser.

export type ProbeStatus = 'passed' | 'failed' | 'inconclusive' | 'skipped';

/** The data behind a chart: a line (x/y pairs) or a histogram (bucket upper bounds / counts). */
export interface Series {
  name: string;
  kind: 'line' | 'histogram';
  /** x values: seconds since the scenario started, or histogram bucket upper bounds */
  x: number[];
  y: number[];
  xLabel: string;
  yLabel: string;
}

export interface ProbeResult {
  id: string;
  title: string;
  passed: boolean;
  status: ProbeStatus;
  expected: string;
  measured: string;
  /** what the result means; for a failure, why it matters */
  explanation: string;
  hint?: string;
  series?: Series[];
  durationMs: number;
}

export type VerdictStatus = 'passed' | 'failed' | 'error' | 'skipped' | 'inconclusive';

export interface Verdict {
  lab: string;
  passed: boolean;
  status: VerdictStatus;
  durationMs: number;
  /** which code was graded: a directory, or "starter" / "solution" */
  target: string;
  runtime: 'native' | 'browser' | 'agent';
  /** set when the server could not be built or started, or the check could not run */
  error?: { kind: 'build' | 'start' | 'environment' | 'skipped'; message: string; details?: string; command?: string };
  probes: ProbeResult[];
}

export type CheckEvent =
  | { type: 'check-start'; lab: string; target: string; probes: { id: string; title: string }[] }
  | { type: 'phase'; phase: 'build' | 'start' | 'probes' | 'cleanup' | 'namespace'; message: string }
  | { type: 'server-start'; pid: number; url: string; adminUrl?: string }
  | { type: 'probe-start'; id: string; title: string }
  | { type: 'probe-progress'; id: string; message: string }
  | { type: 'probe-end'; result: ProbeResult }
  | { type: 'server-log'; line: string }
  | { type: 'check-end'; verdict: Verdict };

export type EventSink = (event: CheckEvent) => void;
