// The Node side of os/signal for js/wasm. The patched os/signal (runtime/overlay/os/signal)
// registers a function here; when Node receives SIGTERM, SIGINT or SIGHUP it asks Go through it.
// Go answers "notify" (a signal.Notify wants it: it is queued for the program), "ignore"
// (signal.Ignore) or "default". The default action is Go's: SIGINT, SIGTERM and SIGHUP kill the
// process by that signal (a native Go program dies by the signal too: its parent sees
// "killed by SIGTERM", a shell sees 143). A program that does not import os/signal never
// registers, and gets the default action.
const FORWARDED = Object.freeze({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 });

export function installSignals() {
  /** @type {((signum: number) => string) | undefined} */
  let deliver;

  const handlers = Object.fromEntries(Object.keys(FORWARDED).map((name) => [name, () => onSignal(name)]));

  function onSignal(name) {
    const how = deliver ? deliver(FORWARDED[name]) : 'default';
    if (how === 'notify' || how === 'ignore') return;
    dieBy(name);
  }

  function dieBy(name) {
    for (const [n, h] of Object.entries(handlers)) process.off(n, h);
    // With no listener left, Node restores the default action: the process dies by the signal.
    process.kill(process.pid, name);
  }

  for (const [name, h] of Object.entries(handlers)) process.on(name, h);

  const bridge = {
    setDeliver(fn) {
      deliver = fn;
    },
  };
  globalThis.__ghlSignals = bridge;
  return bridge;
}
