// The file list: one button per file, the open one marked aria-current, unsaved ones with a dot.

/** The order files are shown in: the ones the lab asks you to edit first (lab.json order), then the rest. */
export function orderFiles(paths: string[], primary: string[]): string[] {
  const rank = new Map(primary.map((p, i) => [p, i]));
  return paths.slice().sort((a, b) => (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity) || a.localeCompare(b));
}

export class FileList {
  private readonly buttons = new Map<string, HTMLButtonElement>();

  constructor(
    private readonly list: HTMLUListElement,
    private readonly unsavedLabel: string,
    private readonly onPick: (path: string) => void,
  ) {}

  set(paths: string[]): void {
    this.list.replaceChildren();
    this.buttons.clear();
    for (const path of paths) {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.path = path;
      const name = document.createElement('span');
      name.textContent = path;
      const dot = document.createElement('span');
      dot.className = 'dirty';
      dot.setAttribute('aria-hidden', 'true');
      button.append(name, dot);
      button.addEventListener('click', () => this.onPick(path));
      li.append(button);
      this.list.append(li);
      this.buttons.set(path, button);
      this.setDirty(path, false);
    }
  }

  setCurrent(path: string): void {
    for (const [p, b] of this.buttons) b.setAttribute('aria-current', String(p === path));
  }

  setDirty(path: string, dirty: boolean): void {
    const b = this.buttons.get(path);
    if (!b) return;
    b.dataset.dirty = String(dirty);
    b.lastElementChild!.textContent = dirty ? '●' : '';
    b.setAttribute('aria-label', dirty ? `${path} (${this.unsavedLabel})` : path);
  }
}
