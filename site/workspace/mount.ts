// The lab workspace: wires the template's markup to the runtime, the editor, the terminal,
// the server's output and the Check panel. Loaded on "Open workspace" only.
import { connectRuntime, FormatError, RuntimeUnavailableError, runtimePlan, type ConnectProgress, type Runtime } from '../runtime/index.js';
import { dockerCommands } from '../lib/docker-commands.js';
import { maxFileBytes } from './limits.js';
import { ui, type UiStrings } from '../i18n/ui.js';
import { localStore, recordVerdict } from '../lib/status.js';
import { announcement, checkFailed, checkStopped, initialCheckState, reduceCheck, type CheckState } from './check-state.js';
import { CheckPanel } from './check-panel.js';
import { FileList, orderFiles } from './files.js';
import { formatGo } from './format.js';
import { setupTabs } from './tabs.js';
import type { LabData } from './lab-data.js';
import type { WorkspaceEditor } from './editor.js';
import type { TerminalView } from './terminal.js';
import type { RunState } from '../runtime/types.js';

export interface MountOptions {
  slot: HTMLElement;
  template: HTMLTemplateElement;
  lab: LabData;
  onClose(): void;
}

const isMac = /Mac|iPhone|iPad/.test(globalThis.navigator?.platform ?? '');
const ansi = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g;
const maxLogChars = 200_000;

export async function mountWorkspace({ slot, template, lab, onClose }: MountOptions): Promise<{ close(): void }> {
  const t = ui(lab.locale);
  slot.append(template.content.cloneNode(true));
  const root = slot.querySelector<HTMLElement>('[data-ref="workspace"]')!;
  const ref = <T extends HTMLElement = HTMLElement>(name: string) => root.querySelector<T>(`[data-ref="${name}"]`)!;
  document.body.classList.add('workspace-open');
  root.tabIndex = -1;
  root.focus();

  const buttons = {
    save: ref<HTMLButtonElement>('save'),
    run: ref<HTMLButtonElement>('run'),
    check: ref<HTMLButtonElement>('check'),
    reset: ref<HTMLButtonElement>('reset'),
    compare: ref<HTMLButtonElement>('compare'),
    close: ref<HTMLButtonElement>('close'),
  };
  const message = ref('message');
  const announcer = ref('announcer');
  const notices = ref('notices');
  ref('shortcuts').textContent = t.shortcuts(isMac ? '⌘' : 'Ctrl');

  let runtime: Runtime | null = null;
  let editor: WorkspaceEditor | null = null;
  let terminal: TerminalView | null = null;
  let checkAbort: AbortController | null = null;
  let runState: RunState | 'idle' = 'idle';
  let checkState: CheckState = initialCheckState;
  let closed = false;
  const cleanups: (() => void)[] = [];

  const say = (text: string, kind: 'info' | 'error' = 'info') => {
    message.textContent = text;
    message.dataset.kind = kind;
  };
  const announce = (text: string) => {
    announcer.textContent = '';
    // a fresh text node is announced even when the sentence repeats
    requestAnimationFrame(() => (announcer.textContent = text));
  };
  const notice = (text: string, kind: 'note' | 'caution' = 'caution', action?: { label: string; run(): void }, commands?: string[]) => {
    const aside = document.createElement('aside');
    aside.className = `notice notice-${kind}`;
    const p = document.createElement('p');
    p.textContent = text;
    aside.append(p);
    if (commands) {
      const pre = document.createElement('pre');
      pre.className = 'docker-commands';
      pre.setAttribute('aria-label', t.dockerCommandsLabel);
      pre.append(Object.assign(document.createElement('code'), { textContent: commands.join('\n') }));
      aside.append(pre);
    }
    if (action) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = action.label;
      b.addEventListener('click', action.run);
      p.append(' ', b);
    }
    notices.append(aside);
    return aside;
  };

  // ---- tabs -------------------------------------------------------------------------------
  const tabs = setupTabs(root, (id) => {
    if (id === 'terminal') void showTerminal();
  });

  // ---- Check panel ------------------------------------------------------------------------
  const panel = new CheckPanel(
    { summary: ref('check-summary'), phase: ref('check-phase'), list: ref<HTMLOListElement>('probes'), extra: ref('check-extra') },
    t,
  );
  const announceStrings = {
    started: () => t.checkStarted,
    probe: (title: string, status: keyof UiStrings['probeStatus']) => t.probeAnnounce(title, t.probeStatus[status]),
    finished: () => ref('check-summary').textContent ?? '',
  };

  // ---- files ------------------------------------------------------------------------------
  const fileList = new FileList(ref<HTMLUListElement>('files'), t.unsaved, (path) => {
    if (!editor) return;
    editor.open(path);
    if (!ref('diff-area').hidden) void compare(false);
    else editor.focus();
  });

  // ---- runtime ----------------------------------------------------------------------------
  const runtimeLine = ref('runtime');
  async function connect(): Promise<void> {
    notices.replaceChildren();
    runtimeLine.textContent = t.connecting;
    const progress = (p: ConnectProgress) => {
      runtimeLine.textContent = p.phase === 'download' ? t.browserProgress.download(p.loaded, p.total) : t.browserProgress[p.phase];
    };
    try {
      runtime = await connectRuntime({ lab, onProgress: progress });
    } catch (err) {
      runtimeLine.textContent = `${t.runtime}: –`;
      const retry = { label: t.retry, run: () => void connect() };
      const plan = runtimePlan({ lab });
      const reason = err instanceof RuntimeUnavailableError ? err.reason : undefined;
      if (reason === 'unauthorized') notice(t.unauthorized, 'caution', retry);
      else if (reason === 'browser') notice(t.browserFailed((err as Error).message), 'caution', retry, dockerCommands(lab.kernel));
      else if (plan.browserBlocked === 'not-browser-lab') notice(t.dockerOnlyNote, 'caution', retry, dockerCommands(lab.kernel));
      else if (plan.browserBlocked === 'not-isolated') notice(t.notIsolated, 'caution', retry, dockerCommands(lab.kernel));
      else notice(t.noAgent, 'caution', retry);
      console.warn('runtime:', err);
      return;
    }
    const info = runtime.info;
    runtimeLine.replaceChildren(
      `${t.runtime}: `,
      Object.assign(document.createElement('strong'), { textContent: t.runtimeKinds[info.kind] }),
      ` · ${info.go ? t.goVersion(info.go) : 'Go ?'} · ${info.kernel ? t.kernelYes : t.kernelNo}`,
    );
    if (lab.kernel && !info.kernel) notice(t.kernelMissing);
    if (info.kind === 'browser' && !lab.runtimes.includes('browser')) notice(t.dockerOnlyNote);
    cleanups.push(runtime.onDisconnect((reason) => !closed && notice(t.disconnected(reason), 'note')));
    await loadFiles();
  }

  async function loadFiles(): Promise<void> {
    if (!runtime) return;
    const rt = runtime;
    const entries = (await rt.listFiles(lab.id)).filter((f) => f.size <= maxFileBytes);
    const paths = orderFiles(
      entries.map((f) => f.path),
      lab.files,
    );
    const files = await Promise.all(paths.map(async (path) => ({ path, content: await rt.readFile(lab.id, path) })));
    const ed = await editorReady;
    ed.setFiles(files);
    fileList.set(paths);
    const first = paths.find((p) => lab.files.includes(p)) ?? paths[0];
    if (first) ed.open(first);
    for (const b of Object.values(buttons)) b.disabled = false;
  }

  // ---- editor -----------------------------------------------------------------------------
  const editorReady: Promise<WorkspaceEditor> = import('./editor.js').then(({ WorkspaceEditor }) => {
    editor = new WorkspaceEditor(ref('editor'), {
      lab: lab.id,
      label: (path) => t.editorLabel(path || lab.title),
      onDirtyChange: (path, dirty) => fileList.setDirty(path, dirty),
      onOpen: (path) => fileList.setCurrent(path),
    });
    return editor;
  });

  async function save(path: string): Promise<boolean> {
    if (!editor || !runtime) return false;
    let text = editor.text(path);
    let note = t.saved(path);
    if (path.endsWith('.go')) {
      try {
        const formatted = await formatGo(runtime, text);
        if (formatted !== text) editor.replaceText(path, formatted);
        text = formatted;
        note = t.savedFormatted(path);
      } catch (err) {
        note = t.savedUnformatted(path, err instanceof FormatError ? err.message : String(err));
      }
    }
    const version = editor.version(path);
    try {
      await runtime.writeFile(lab.id, path, text);
    } catch (err) {
      say(t.saveFailed(path, (err as Error).message), 'error');
      return false;
    }
    editor.markSaved(path, version);
    say(note);
    return true;
  }

  async function saveAll(): Promise<boolean> {
    const dirty = editor?.dirtyPaths() ?? [];
    if (dirty.length) say(t.savingBefore(dirty.length));
    for (const p of dirty) if (!(await save(p))) return false;
    return true;
  }

  // ---- run / stop -------------------------------------------------------------------------
  const log = ref('log');
  let logEmpty = true;
  function setRunState(state: RunState | 'idle', detail: { url?: string; message?: string; adminUrl?: string } = {}) {
    runState = state;
    const busy = state === 'building' || state === 'running';
    buttons.run.textContent = busy ? t.stop : t.run;
    ref('run-dot').dataset.state = state;
    let text = t.runStates[state];
    if (state === 'running' && detail.url) text += ` · ${t.serverAt(detail.url)}`;
    if (state === 'running' && detail.adminUrl) text += ` · ${t.adminAt(detail.adminUrl)}`;
    // the agent's message often repeats the state or the address: show it only when it adds something
    const extra = detail.message?.trim();
    if (extra && extra !== state && !text.includes(extra) && !(detail.url && extra.includes(detail.url))) text += ` · ${extra}`;
    ref('run-state').textContent = text;
  }
  function appendLog(data: string) {
    if (logEmpty) {
      log.textContent = '';
      logEmpty = false;
    }
    const atBottom = log.parentElement!.scrollTop + log.parentElement!.clientHeight >= log.parentElement!.scrollHeight - 8;
    let text = log.textContent + data.replace(ansi, '');
    if (text.length > maxLogChars) text = text.slice(text.length - maxLogChars);
    log.textContent = text;
    if (atBottom) log.parentElement!.scrollTop = log.parentElement!.scrollHeight;
  }
  async function toggleRun() {
    if (!runtime) return;
    if (runState === 'building' || runState === 'running') {
      await runtime.stop(lab.id).catch((e: Error) => say(e.message, 'error'));
      return;
    }
    if (!(await saveAll())) return;
    tabs.select('logs');
    setRunState('building');
    await runtime
      .run(lab.id, { log: appendLog, state: (s, d) => setRunState(s, d) })
      .catch((e: Error) => (setRunState('failed', { message: e.message }), say(e.message, 'error')));
  }

  // ---- check ------------------------------------------------------------------------------
  async function check() {
    if (!runtime) return;
    if (checkAbort) {
      checkAbort.abort();
      buttons.check.disabled = true;
      buttons.check.textContent = t.stoppingCheck;
      return;
    }
    if (!(await saveAll())) return;
    const abort = new AbortController();
    checkAbort = abort;
    buttons.check.textContent = t.stopCheck;
    tabs.select('check');
    panel.reset();
    checkState = { ...initialCheckState, phase: 'running' };
    panel.render(checkState);
    try {
      const verdict = await runtime.check(
        lab.id,
        (event) => {
          checkState = reduceCheck(checkState, event);
          panel.render(checkState);
          const sentence = announcement(event, checkState, announceStrings);
          if (sentence) announce(sentence);
        },
        { signal: abort.signal, onQueued: (position) => (ref('check-phase').textContent = t.checkQueued(position)) },
      );
      recordVerdict(localStore(), verdict);
      dispatchEvent(new Event('goha:status'));
    } catch (err) {
      if ((err as Error).name === 'AbortError') {
        checkState = checkStopped(checkState);
        panel.render(checkState);
        announce(t.checkStopped);
      } else {
        checkState = checkFailed(checkState, (err as Error).message);
        panel.render(checkState);
        announce(t.checkError((err as Error).message));
      }
    } finally {
      checkAbort = null;
      buttons.check.textContent = t.check;
      buttons.check.disabled = false;
    }
  }

  // ---- reset / compare --------------------------------------------------------------------
  async function reset() {
    if (!runtime || !confirm(t.resetConfirm)) return;
    try {
      const { backup } = await runtime.reset(lab.id);
      closeDiff();
      await loadFiles();
      say(t.resetDone(backup));
    } catch (err) {
      say((err as Error).message, 'error');
    }
  }

  let solutionSeen = false;
  async function compare(ask = true) {
    if (!runtime || !editor) return;
    const path = editor.current;
    if (!path) return;
    if (ask && !solutionSeen && !confirm(t.compareConfirm)) return;
    solutionSeen = true;
    let solution: string;
    try {
      const files = await runtime.solutionFiles(lab.id);
      if (!files.some((f) => f.path === path)) {
        say(t.compareNoFile(path));
        return;
      }
      solution = await runtime.readSolutionFile(lab.id, path);
    } catch (err) {
      say((err as Error).message, 'error');
      return;
    }
    ref('editor').hidden = true;
    ref('diff-area').hidden = false;
    ref('diff-caption').textContent = t.compareCaption(path);
    editor.showDiff(ref('diff'), path, editor.text(path), solution);
    ref('diff-close').focus();
  }
  function closeDiff() {
    editor?.hideDiff();
    ref('diff-area').hidden = true;
    ref('editor').hidden = false;
  }

  // ---- terminal ---------------------------------------------------------------------------
  let terminalOpening: Promise<void> | null = null;
  function showTerminal(): Promise<void> {
    if (terminal) {
      terminal.fit();
      terminal.focus();
      return Promise.resolve();
    }
    if (!runtime) return Promise.resolve();
    const rt = runtime;
    const status = ref('term-status');
    const restart = ref<HTMLButtonElement>('term-restart');
    terminalOpening ??= import('./terminal.js')
      .then(({ openTerminal }) =>
        openTerminal(ref('terminal'), rt, lab.id, {
          exit: (code) => {
            status.textContent = t.terminalExited(code);
            restart.hidden = false;
            terminal?.dispose();
            terminal = null;
          },
          leave: () => root.querySelector<HTMLElement>('#ws-tab-terminal')?.focus(),
        }),
      )
      .then((view) => {
        terminal = view;
        status.textContent = '';
        restart.hidden = true;
        if (!closed) view.focus();
      })
      .catch((err: Error) => {
        status.textContent = err.message;
        restart.hidden = false;
      })
      .finally(() => (terminalOpening = null));
    return terminalOpening;
  }
  ref('term-restart').addEventListener('click', () => {
    ref('terminal').replaceChildren();
    void showTerminal();
  });

  // ---- wiring -----------------------------------------------------------------------------
  buttons.save.addEventListener('click', () => editor?.current && void save(editor.current));
  buttons.run.addEventListener('click', () => void toggleRun());
  buttons.check.addEventListener('click', () => void check());
  buttons.reset.addEventListener('click', () => void reset());
  buttons.compare.addEventListener('click', () => void compare());
  ref('diff-close').addEventListener('click', () => {
    closeDiff();
    editor?.focus();
  });
  buttons.close.addEventListener('click', () => close());
  // Tab indents inside Monaco: this button (shown on focus) lets keyboard users jump past it.
  ref('skip-editor').addEventListener('click', () => root.querySelector<HTMLElement>('[role="tab"][aria-selected="true"]')?.focus());

  const onKey = (e: KeyboardEvent) => {
    if (!(isMac ? e.metaKey : e.ctrlKey) || e.altKey) return;
    if (e.key === 's' || e.key === 'S') {
      e.preventDefault();
      e.stopPropagation();
      if (editor?.current) void save(editor.current);
    } else if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      e.stopPropagation();
      if (!buttons.check.disabled) void check();
    }
  };
  document.addEventListener('keydown', onKey, true);
  cleanups.push(() => document.removeEventListener('keydown', onKey, true));
  const onBeforeUnload = (e: BeforeUnloadEvent) => {
    if (editor?.dirtyPaths().length) e.preventDefault();
  };
  addEventListener('beforeunload', onBeforeUnload);
  cleanups.push(() => removeEventListener('beforeunload', onBeforeUnload));

  function close() {
    if (editor?.dirtyPaths().length && !confirm(t.closeConfirm)) return;
    closed = true;
    checkAbort?.abort();
    for (const c of cleanups) c();
    terminal?.dispose();
    editor?.dispose();
    runtime?.dispose();
    root.remove();
    document.body.classList.remove('workspace-open');
    onClose();
  }

  await Promise.all([editorReady, connect()]);
  return { close };
}
