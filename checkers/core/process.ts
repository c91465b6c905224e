// Processes seen from /proc: state, parent and process group. For labs whose server replaces
// itself with new processes (a restart, a hot upgrade): which PIDs are alive, and whether a
// PID the server reports really belongs to the server's process group (the supervisor starts
// the server as a group leader, so its group id is the server's first PID).
import { readFileSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  /** R running, S sleeping, D disk sleep, Z zombie (exited, not yet reaped), T stopped ... */
  state: string;
  ppid: number;
  pgrp: number;
  comm: string;
}

/** undefined when there is no such process */
export function procInfo(pid: number): ProcInfo | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const rest = stat.slice(close + 2).split(' ');
  return { pid, comm: stat.slice(open + 1, close), state: rest[0]!, ppid: Number(rest[1]), pgrp: Number(rest[2]) };
}

/** A process that exists and has not exited (a zombie has exited). */
export function isRunning(pid: number): boolean {
  const p = procInfo(pid);
  return !!p && p.state !== 'Z' && p.state !== 'X';
}
