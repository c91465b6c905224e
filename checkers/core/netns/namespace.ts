// One network namespace per check: created with only lo up and the check's sysctls in force,
// destroyed afterwards no matter how the run ends. A namespace outlives the process that made
// it (it is pinned by a bind mount in /run/netns), so three layers keep it from leaking:
// destroyNetns at the end of a check, a cleanup.ts action on exit/Ctrl-C/SIGTERM, and, for a run
// that was SIGKILLed or crashed, sweepStaleNamespaces, which finds names whose creator pid is dead.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { onCleanup } from '../cleanup.js';
import { NetnsError, execInNetnsSync, nsName, runSync, which } from './exec.js';
import type { NetnsHandle, NetnsOptions, NetnsRef } from './types.js';

/** Where iproute2 pins named namespaces. */
export const NETNS_RUN_DIR = '/run/netns';
/** Every namespace this toolkit creates is called ghl-<creator pid>-<random hex>. */
export const NETNS_PREFIX = 'ghl-';
const OWNED = /^ghl-(\d+)-[0-9a-f]+$/;

const unregister = new Map<string, () => void>();

/**
 * Create a fresh namespace: only lo, set up (with `loMtu` if given), and `sysctls` written and
 * read back from inside. Synchronous (two process spawns), so it also works where async cannot.
 * Throws NetnsError with a sentence that says what to do; nothing is left behind on failure.
 */
export function createNetns(opts: NetnsOptions = {}): NetnsHandle {
  const t0 = performance.now();
  const sysctls = checkSysctls(opts.sysctls ?? {});
  if (opts.loMtu !== undefined && !(Number.isInteger(opts.loMtu) && opts.loMtu >= 68 && opts.loMtu <= 65536)) {
    throw new NetnsError(`loMtu must be an integer between 68 and 65536, got ${opts.loMtu}`);
  }
  const name = `${NETNS_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`;
  try {
    runSync(['ip', 'netns', 'add', name]);
  } catch (e) {
    throw new NetnsError(`could not create network namespace ${name}: ${(e as NetnsError).stderr.trim() || (e as Error).message}`, [], (e as NetnsError).stderr);
  }
  // Register before configuring: if configuring fails or we are interrupted, it still goes away.
  if (opts.registerCleanup ?? true) unregister.set(name, onCleanup(() => destroyNetns(name)));
  try {
    const applied = configure(name, opts.loMtu, sysctls);
    return { name, ownerPid: process.pid, sysctls: applied, loMtu: opts.loMtu ?? 65536, createMs: performance.now() - t0 };
  } catch (e) {
    destroyNetns(name);
    throw e;
  }
}

// One shell inside the namespace does it all (one spawn instead of one per setting). It runs in
// the private mount namespace `ip netns exec` creates, so remounting /proc/sys there does not
// touch the host's (or the container's) mounts.
const SETUP_SCRIPT = `
ip=$1; mtu=$2; ro=$3; shift 3
if [ -n "$ro" ]; then
  mount -o remount,bind,rw "$ro" 2>/dev/null || mount -o remount,rw "$ro" || exit 3
fi
if [ -n "$mtu" ]; then "$ip" link set lo mtu "$mtu" || exit 4; fi
"$ip" link set lo up || exit 4
while [ $# -gt 0 ]; do
  key=$1; path=/proc/sys/$2; val=$3; shift 3
  [ -e "$path" ] || { echo "ghl-missing $key" >&2; exit 5; }
  printf '%s\\n' "$val" > "$path" || { echo "ghl-write $key" >&2; exit 6; }
  printf '%s\\t' "$key"; cat "$path" || exit 6
done
`;

function configure(name: string, loMtu: number | undefined, sysctls: [string, string][]): Record<string, string> {
  const ro = sysctls.length ? procSysReadOnlyMount() : null;
  const args = sysctls.flatMap(([k, v]) => [k, k.replace(/\./g, '/'), v]);
  const r = execInNetnsSync(name, ['/bin/sh', '-c', SETUP_SCRIPT, 'ghl-setup', which('ip') ?? 'ip', String(loMtu ?? ''), ro ?? '', ...args], {
    check: false,
  });
  const err = r.stderr.trim();
  if (r.code === 3) {
    throw new NetnsError(
      `${ro} is mounted read-only (usual inside a Docker container), so sysctls cannot be set, and remounting it ` +
        `read-write failed (${err}). Run \`mount -o remount,rw /proc/sys\` in the container, or start it with ` +
        `--cap-add SYS_ADMIN --security-opt apparmor=unconfined.`,
      [],
      r.stderr,
      r.code,
    );
  }
  if (r.code === 5) {
    const key = err.replace(/^.*ghl-missing /s, '');
    throw new NetnsError(`sysctl ${key} does not exist inside a network namespace on this kernel (it is host-wide or unknown)`, [], r.stderr, r.code);
  }
  if (r.code === 6) {
    throw new NetnsError(`could not write sysctl ${err.replace(/^.*ghl-write /s, '')}: ${err.split('\n')[0]}`, [], r.stderr, r.code);
  }
  if (r.code !== 0) throw new NetnsError(`could not set up lo in namespace ${name}: ${err || `exit code ${r.code}`}`, [], r.stderr, r.code);
  const applied: Record<string, string> = {};
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const tab = line.indexOf('\t');
    applied[line.slice(0, tab)] = normalise(line.slice(tab + 1));
  }
  for (const [k, v] of sysctls) {
    if (applied[k] !== normalise(v)) {
      throw new NetnsError(`sysctl ${k}: wrote ${JSON.stringify(v)} but the kernel kept ${JSON.stringify(applied[k])}`);
    }
  }
  return applied;
}

/** Values read back use tabs ("40000\t40199"); compare and report them with single spaces. */
function normalise(v: string): string {
  return v.trim().split(/\s+/).join(' ');
}

function checkSysctls(sysctls: Record<string, string>): [string, string][] {
  return Object.entries(sysctls).map(([k, v]) => {
    if (!/^net(\.[A-Za-z0-9_-]+)+$/.test(k)) {
      throw new NetnsError(`sysctl ${JSON.stringify(k)} is not a net.* key: only network sysctls are per-namespace, anything else would change the host`);
    }
    if (!/^[\x20-\x7e\t]*$/.test(String(v))) throw new NetnsError(`sysctl ${k}: value ${JSON.stringify(v)} has control characters`);
    return [k, String(v)];
  });
}

/**
 * The mount point that makes /proc/sys/net read-only, or null when it is writable.
 * Docker mounts /proc/sys read-only; a namespace's sysctls are then unwritable even as root.
 * Exported (with the text as a parameter) so the parsing is testable anywhere.
 */
export function procSysReadOnlyMount(mountinfo?: string): string | null {
  let text = mountinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/mountinfo', 'utf8');
    } catch {
      return null;
    }
  }
  const target = '/proc/sys/net';
  let best: { point: string; ro: boolean } | null = null;
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 6) continue;
    const point = f[4].replace(/\\040/g, ' ');
    if (!(target === point || target.startsWith(point === '/' ? '/' : point + '/'))) continue;
    // later lines are mounted on top; a longer mount point is more specific
    if (!best || point.length >= best.point.length) best = { point, ro: f[5].split(',').includes('ro') };
  }
  return best?.ro ? best.point : null;
}

/**
 * Delete a namespace: SIGKILL every process still inside it (a lab server, a probe), then remove
 * the name. Idempotent and synchronous, so it is safe in cleanup actions and twice in a row.
 */
export function destroyNetns(ref: NetnsRef, opts: { killProcesses?: boolean } = {}): void {
  const name = nsName(ref);
  unregister.get(name)?.();
  unregister.delete(name);
  if (!existsSync(`${NETNS_RUN_DIR}/${name}`)) return;
  if (opts.killProcesses ?? true) {
    for (const pid of netnsPids(name)) {
      if (pid === process.pid) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  const r = runSync(['ip', 'netns', 'del', name], { check: false });
  if (r.code !== 0 && existsSync(`${NETNS_RUN_DIR}/${name}`)) {
    throw new NetnsError(`could not delete network namespace ${name}: ${r.stderr.trim()}`, [], r.stderr, r.code);
  }
}

/**
 * Pids of the processes inside a named namespace (what `ip netns pids` prints), found without a
 * spawn: the pinned file's inode is the namespace's inode, and /proc/PID/ns/net names it.
 */
export function netnsPids(ref: NetnsRef): number[] {
  let ino: number;
  try {
    ino = statSync(`${NETNS_RUN_DIR}/${nsName(ref)}`).ino;
  } catch {
    return [];
  }
  const want = `net:[${ino}]`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/net`) === want) pids.push(Number(entry));
    } catch {
      /* exited meanwhile, or not ours to read */
    }
  }
  return pids;
}

/** Names of all namespaces this toolkit created (by any process) that still exist. */
export function listOwnedNamespaces(): string[] {
  try {
    return readdirSync(NETNS_RUN_DIR).filter((n) => OWNED.test(n));
  } catch {
    return [];
  }
}

/**
 * Remove ghl-* namespaces whose creating process no longer exists (a run that was SIGKILLed or
 * crashed could not clean up), killing anything still running inside them. Returns the names removed.
 * A recycled pid keeps its stale namespace alive until that unrelated process exits; rare enough.
 */
export function sweepStaleNamespaces(): string[] {
  const removed: string[] = [];
  for (const name of listOwnedNamespaces()) {
    const pid = Number(OWNED.exec(name)![1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    try {
      destroyNetns(name);
      removed.push(name);
    } catch {
      /* another sweeper got it first, or it is stuck: the next sweep retries */
    }
  }
  return removed;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
