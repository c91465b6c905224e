// Process trees on Linux, read from /proc: what a terminal or a server left behind.
// Killing a process group is not enough for an interactive shell: bash puts every job in its own
// group. Everything in the shell's session, and every descendant of it, goes.
// Shells get a SIGHUP first: a SIGKILLed shell start-up can leave a lock behind (pyenv's rehash
// lock in ~/.pyenv/shims did, and every later shell waited on it).
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

interface ProcInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  session: number;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(rest[1]), pgrp: Number(rest[2]), session: Number(rest[3]) };
  } catch {
    return undefined;
  }
}

function allProcs(): ProcInfo[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcInfo[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const p = readProc(Number(n));
    if (p) out.push(p);
  }
  return out;
}

/** `root`, its descendants, and (with `session`) every process in the session `root` leads. */
export function processTree(root: number, opts: { session?: boolean } = {}): number[] {
  const procs = allProcs();
  const found = new Set<number>([root]);
  if (opts.session) for (const p of procs) if (p.session === root) found.add(p.pid);
  // descendants of anything found so far, until nothing changes
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs) {
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.add(p.pid);
        grew = true;
      }
    }
  }
  if (root === process.pid) found.delete(root);
  return [...found];
}

/** Sends `sig` to the tree (see processTree), the root's group first. Returns the pids it signalled. */
export function signalTree(root: number, sig: NodeJS.Signals, opts: { session?: boolean } = {}): number[] {
  if (root <= 1 || root === process.pid) return [];
  const pids = processTree(root, opts);
  try {
    process.kill(-root, sig);
  } catch {
    /* not a group leader, or already gone */
  }
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  }
  return pids;
}

/** SIGKILLs the tree at once. */
export function killTree(root: number, opts: { session?: boolean } = {}): number[] {
  return signalTree(root, 'SIGKILL', opts);
}

/**
 * SIGHUP first, as a closing terminal would (shells run their exit traps and release their locks),
 * then SIGKILL whatever is left after `graceMs`. Resolves once the SIGKILL went out.
 */
export function hangUpTree(root: number, opts: { session?: boolean; graceMs?: number } = {}): Promise<void> {
  const pids = signalTree(root, 'SIGHUP', opts);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGCONT'); // a stopped job (Ctrl-Z) must run to see its SIGHUP
    } catch {
      /* gone */
    }
  }
  return new Promise((resolvePromise) => {
    setTimeout(() => {
      signalTree(root, 'SIGKILL', opts);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      resolvePromise();
    }, opts.graceMs ?? 1000);
  });
}

/**
 * Children of this process whose command line contains `needle` (or satisfies it) and, when `cwd`
 * is given, that run in that directory.
 */
export function ownChildrenMatching(needle: string | ((cmdline: string) => boolean), cwd?: string): number[] {
  const out: number[] = [];
  for (const p of allProcs()) {
    if (p.ppid !== process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (typeof needle === 'string' ? !cmdline.includes(needle) : !needle(cmdline)) continue;
      if (cwd !== undefined && readlinkSync(`/proc/${p.pid}/cwd`) !== cwd) continue;
      out.push(p.pid);
    } catch {
      /* gone */
    }
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
