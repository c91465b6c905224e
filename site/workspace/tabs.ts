// WAI-ARIA tabs: click or arrow keys (Left/Right/Home/End) select; one tab stop for the list.
export interface Tabs {
  select(id: string, focus?: boolean): void;
  selected(): string;
}

export function setupTabs(root: HTMLElement, onSelect: (id: string) => void): Tabs {
  const tabs = [...root.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
  const panel = (tab: HTMLButtonElement) => root.querySelector<HTMLElement>(`#${tab.getAttribute('aria-controls')}`);
  let current = tabs.find((t) => t.getAttribute('aria-selected') === 'true')?.dataset.tab ?? tabs[0]?.dataset.tab ?? '';

  const select = (id: string, focus = false) => {
    for (const tab of tabs) {
      const on = tab.dataset.tab === id;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      const p = panel(tab);
      if (p) p.hidden = !on;
      if (on && focus) tab.focus();
    }
    current = id;
    onSelect(id);
  };

  for (const [i, tab] of tabs.entries()) {
    tab.addEventListener('click', () => select(tab.dataset.tab!));
    tab.addEventListener('keydown', (e) => {
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      select(tabs[(to + tabs.length) % tabs.length]!.dataset.tab!, true);
    });
  }
  return { select, selected: () => current };
}
