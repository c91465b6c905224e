// Nothing leaks: every child process and cleanup action a check creates is registered here,
// and undone on normal exit, Ctrl-C, SIGTERM, or an uncaught error.
import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();
const actions = new Map<number, () => void>();
let nextAction = 1;
let installed = false;

/** Register a child whose process group must die with us. */
export function track(child: ChildProcess): void {
  install();
  children.add(child);
}

export function untrack(child: ChildProcess): void {
  children.delete(child);
}

/** Register a synchronous cleanup (delete a namespace, a temp dir). Returns a function that unregisters it. */
export function onCleanup(action: () => void): () => void {
  install();
  const id = nextAction++;
  actions.set(id, action);
  return () => actions.delete(id);
}

/** Kill every tracked process group and run every registered action, synchronously. */
export function cleanupNow(): void {
  for (const child of children) {
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        try {
          child.kill('SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }
  children.clear();
  for (const [id, action] of [...actions].reverse()) {
    actions.delete(id);
    try {
      action();
    } catch {
      /* best effort: keep going */
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      cleanupNow();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}
