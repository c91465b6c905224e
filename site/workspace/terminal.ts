// The terminal panel: xterm.js attached to a shell on the runtime (term.* messages).
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import type { Runtime, TerminalSession } from '../runtime/types.js';

export interface TerminalView {
  focus(): void;
  fit(): void;
  dispose(): void;
}

/**
 * Opens a shell in the lab's workspace. Tab goes to the shell (completion); Shift+Tab leaves
 * the terminal so that keyboard users are never trapped.
 */
export async function openTerminal(
  host: HTMLElement,
  runtime: Runtime,
  lab: string,
  on: { exit(code: number | null): void; leave(): void },
): Promise<TerminalView> {
  const term = new Terminal({
    convertEol: false,
    cursorBlink: true,
    fontSize: 13,
    fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
    screenReaderMode: true,
    scrollback: 5000,
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(host);
  try {
    fit.fit();
  } catch {
    /* hidden host: fitted on the next resize */
  }
  term.attachCustomKeyEventHandler((e) => {
    if (e.type === 'keydown' && e.key === 'Tab' && e.shiftKey) {
      on.leave();
      return false;
    }
    return true;
  });
  let session: TerminalSession;
  try {
    session = await runtime.openTerminal(lab, { cols: term.cols, rows: term.rows });
  } catch (err) {
    term.dispose();
    throw err;
  }
  const offData = session.onData((d) => term.write(d));
  const offExit = session.onExit((code) => on.exit(code));
  const input = term.onData((d) => session.write(d));
  const resized = term.onResize(({ cols, rows }) => session.resize(cols, rows));
  const observer = new ResizeObserver(() => {
    if (host.clientWidth && host.clientHeight) {
      try {
        fit.fit();
      } catch {
        /* not laid out yet */
      }
    }
  });
  observer.observe(host);
  return {
    focus: () => term.focus(),
    fit: () => fit.fit(),
    dispose: () => {
      observer.disconnect();
      offData();
      offExit();
      input.dispose();
      resized.dispose();
      session.close();
      term.dispose();
    },
  };
}
