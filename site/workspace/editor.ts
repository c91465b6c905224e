// The code editor: one Monaco model per file of the lab, saved-version tracking for the
// unsaved-change markers, and the diff editor for "Compare with solution".
import { monaco } from './monaco.js';
import { minimalEdit } from './format.js';

export interface EditorOptions {
  lab: string;
  label(path: string): string;
  onDirtyChange(path: string, dirty: boolean): void;
  onOpen(path: string): void;
}

interface OpenFile {
  model: monaco.editor.ITextModel;
  saved: number;
  dirty: boolean;
  view: monaco.editor.ICodeEditorViewState | null;
}

const dark = () => globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false;

function languageOf(path: string): string {
  return path.endsWith('.go') ? 'go' : 'plaintext';
}

export class WorkspaceEditor {
  private readonly editor: monaco.editor.IStandaloneCodeEditor;
  private readonly files = new Map<string, OpenFile>();
  private diff: monaco.editor.IStandaloneDiffEditor | null = null;
  private diffModels: monaco.editor.ITextModel[] = [];
  private currentPath: string | null = null;

  constructor(
    host: HTMLElement,
    private readonly options: EditorOptions,
  ) {
    monaco.editor.setTheme(dark() ? 'vs-dark' : 'vs');
    this.editor = monaco.editor.create(host, {
      model: null,
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 13,
      tabSize: 4,
      insertSpaces: false,
      detectIndentation: false,
      scrollBeyondLastLine: false,
      renderWhitespace: 'selection',
      fixedOverflowWidgets: true,
      ariaLabel: options.label(''),
    });
  }

  /** Replaces every file (first load, or after a reset). */
  setFiles(files: { path: string; content: string }[]): void {
    for (const f of this.files.values()) f.model.dispose();
    this.files.clear();
    for (const { path, content } of files) {
      const uri = monaco.Uri.from({ scheme: 'file', path: `/${this.options.lab}/${path}` });
      monaco.editor.getModel(uri)?.dispose();
      const model = monaco.editor.createModel(content, languageOf(path), uri);
      const file: OpenFile = { model, saved: model.getAlternativeVersionId(), dirty: false, view: null };
      model.onDidChangeContent(() => this.updateDirty(path, file));
      this.files.set(path, file);
    }
    this.currentPath = null;
  }

  paths(): string[] {
    return [...this.files.keys()];
  }

  get current(): string | null {
    return this.currentPath;
  }

  open(path: string): void {
    const file = this.files.get(path);
    if (!file) return;
    if (this.currentPath) {
      const prev = this.files.get(this.currentPath);
      if (prev) prev.view = this.editor.saveViewState();
    }
    this.currentPath = path;
    this.editor.setModel(file.model);
    if (file.view) this.editor.restoreViewState(file.view);
    this.editor.updateOptions({ ariaLabel: this.options.label(path) });
    this.options.onOpen(path);
  }

  focus(): void {
    this.editor.focus();
  }

  text(path: string): string {
    return this.files.get(path)?.model.getValue() ?? '';
  }

  isDirty(path: string): boolean {
    return this.files.get(path)?.dirty ?? false;
  }

  dirtyPaths(): string[] {
    return [...this.files].filter(([, f]) => f.dirty).map(([p]) => p);
  }

  /** The version to pass to markSaved once the text read now is safely written. */
  version(path: string): number {
    return this.files.get(path)?.model.getAlternativeVersionId() ?? -1;
  }

  markSaved(path: string, version: number): void {
    const file = this.files.get(path);
    if (!file) return;
    file.saved = version;
    this.updateDirty(path, file);
  }

  /** Applies formatted text as one undoable edit that touches only what changed. */
  replaceText(path: string, text: string): void {
    const file = this.files.get(path);
    if (!file) return;
    const edit = minimalEdit(file.model.getValue(), text);
    if (!edit) return;
    const start = file.model.getPositionAt(edit.start);
    const end = file.model.getPositionAt(edit.end);
    const range = new monaco.Range(start.lineNumber, start.column, end.lineNumber, end.column);
    file.model.pushStackElement();
    file.model.pushEditOperations(this.currentPath === path ? this.editor.getSelections() : [], [{ range, text: edit.text }], () => null);
    file.model.pushStackElement();
  }

  /** Read-only side-by-side diff: the learner's text on the left, the solution on the right. */
  showDiff(host: HTMLElement, path: string, mine: string, solution: string): void {
    this.hideDiff();
    this.diff = monaco.editor.createDiffEditor(host, {
      automaticLayout: true,
      readOnly: true,
      originalEditable: false,
      renderSideBySide: true,
      minimap: { enabled: false },
      fontSize: 13,
      scrollBeyondLastLine: false,
    });
    const lang = languageOf(path);
    this.diffModels = [monaco.editor.createModel(mine, lang), monaco.editor.createModel(solution, lang)];
    this.diff.setModel({ original: this.diffModels[0]!, modified: this.diffModels[1]! });
  }

  hideDiff(): void {
    this.diff?.dispose();
    this.diff = null;
    for (const m of this.diffModels) m.dispose();
    this.diffModels = [];
  }

  dispose(): void {
    this.hideDiff();
    this.editor.dispose();
    for (const f of this.files.values()) f.model.dispose();
    this.files.clear();
  }

  private updateDirty(path: string, file: OpenFile): void {
    const dirty = file.model.getAlternativeVersionId() !== file.saved;
    if (dirty === file.dirty) return;
    file.dirty = dirty;
    this.options.onDirtyChange(path, dirty);
  }
}
