// Kernel tooling: the shape of a per-check network namespace.
// The implementation lives beside this file (namespace.ts, exec.ts, nft.ts, tc.ts, sockets.ts,
// capabilities.ts; index.ts re-exports them); checkers only see these types.

export interface NetnsOptions {
  /**
   * per-namespace sysctls, e.g. { 'net.ipv4.ip_local_port_range': '40000 40199' }.
   * Only `net.*` keys are accepted: everything else under /proc/sys is host-wide, and writing it
   * "inside" a namespace would change the host. Each value is read back after writing; a value the
   * kernel did not keep is an error, so a check never runs under settings it did not ask for.
   */
  sysctls?: Record<string, string>;
  /** MTU for lo inside the namespace (tbf on lo needs 1500; the default 65536 exceeds any sane burst) */
  loMtu?: number;
  /**
   * register destroyNetns with cleanup.ts so the namespace goes away on exit, Ctrl-C or SIGTERM
   * (default true; only a caller that guarantees its own cleanup should turn this off)
   */
  registerCleanup?: boolean;
}

export interface NetnsHandle {
  /** namespace name, `ghl-<creator pid>-<random>`, e.g. "ghl-4242-1a2b3c" */
  name: string;
  /** pid of the process that created it (also encoded in the name, for sweepStaleNamespaces) */
  ownerPid: number;
  /** the sysctls as the kernel reports them after writing (whitespace normalised to one space) */
  sysctls: Record<string, string>;
  /** lo's MTU inside the namespace */
  loMtu: number;
  /** wall time spent creating it, in ms (the harness can watch itself with it) */
  createMs: number;
}

/** Anything that names a namespace: the handle or its name. */
export type NetnsRef = NetnsHandle | string;
