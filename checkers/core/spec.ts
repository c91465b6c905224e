// How a checker is written: scenarios that measure, and checks that judge the measurement.
// A checker file (checkers/<lab>.ts) is a list of these and reads like a specification.
import type { Series } from './verdict.js';
import type { LabServer, ServerOptions } from './supervisor.js';
import type { NetnsOptions } from './netns/types.js';

export interface Capabilities {
  /** network namespaces, nftables, sysctls (root or CAP_NET_ADMIN + CAP_SYS_ADMIN) */
  kernel: boolean;
  runtime: 'native' | 'browser' | 'agent';
  /** multiplier for load sizes: 1 native, smaller in the browser */
  loadScale: number;
}

export interface ScenarioContext {
  /** the lab server started for this check (ADDR / ADMIN_ADDR on free loopback ports) */
  server: LabServer;
  caps: Capabilities;
  /** aborted when the scenario's deadline passes */
  signal: AbortSignal;
  /** a live progress line for the console and the Check panel */
  progress(message: string): void;
  /** start another instance of the same binary (tracked and killed at the end) */
  launch(options?: Partial<ServerOptions>): Promise<LabServer>;
  /** restart the main server (after a probe stopped it); `ctx.server` then points at the new one */
  restart(options?: Partial<ServerOptions>): Promise<LabServer>;
  /** a private temp directory for this check, removed at the end */
  tmpDir: string;
  /** values measured by earlier scenarios (baselines) */
  state: Map<string, unknown>;
  /** the name of the network namespace this check runs in, when the checker asked for one (kernel labs) */
  netns?: string;
}

/** One line of the verdict. `pass` decides it from the scenario's measurement. */
export interface Check<M> {
  id: string;
  title: string;
  expected: string | ((m: M) => string);
  measured: (m: M) => string;
  pass: (m: M) => boolean | 'inconclusive';
  /** shown with the result: why it matters (a function may explain the failure it saw) */
  explanation: string | ((m: M, passed: boolean) => string);
  hint?: string;
  series?: (m: M) => Series[] | undefined;
}

export interface Scenario<M = any> {
  title: string;
  /** hard deadline for `run`; the check's checks fail as "timed out" past it */
  deadlineMs: number;
  /** skip (as "skipped", never failed) when a capability is missing */
  needs?: Partial<Pick<Capabilities, 'kernel'>>;
  run: (ctx: ScenarioContext) => Promise<M>;
  checks: Check<M>[];
}

export interface CheckerSpec {
  lab: string;
  /** how the server is started: resource limits, extra env, whether it has an admin listener */
  server?: Partial<ServerOptions>;
  /** run the whole check inside a fresh network namespace (kernel labs) */
  netns?: NetnsOptions;
  /**
   * runs after the build and before the server starts: write what the server reads at start-up
   * (certificates, config files) into `tmpDir` and return extra server options (usually env);
   * a throw ends the check as an environment error with its message
   */
  prepare?: (ctx: { tmpDir: string; caps: Capabilities }) => Promise<Partial<ServerOptions> | void>;
  scenarios: Scenario[];
}

/** Identity helpers that keep the types of a checker file precise. */
export function defineChecker(spec: CheckerSpec): CheckerSpec {
  const ids = new Set<string>();
  for (const s of spec.scenarios)
    for (const c of s.checks) {
      if (ids.has(c.id)) throw new Error(`checker ${spec.lab}: probe id "${c.id}" is used twice`);
      ids.add(c.id);
    }
  return spec;
}

export function scenario<M>(s: Scenario<M>): Scenario<M> {
  return s;
}

export function allProbes(spec: CheckerSpec): { id: string; title: string }[] {
  return spec.scenarios.flatMap((s) => s.checks.map((c) => ({ id: c.id, title: c.title })));
}
