// Astro links every stylesheet a page's scripts can reach, dynamic imports included, so the
// editor's and terminal's CSS (Monaco alone: 140 kB) would block every lesson page. This plugin
// turns the CSS imported by the lazily loaded workspace libraries into JS modules that insert a
// <style> when their chunk runs: the stylesheets arrive with the workspace, not before.
const lazy = /[\\/]node_modules[\\/](monaco-editor|@xterm|uplot)[\\/]/;
const PREFIX = '\0lazy-css:';

export default function lazyCss() {
  return {
    name: 'goha-lazy-css',
    apply: 'build',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (options?.ssr || !importer || !source.endsWith('.css') || source.includes('?')) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      if (!resolved || !lazy.test(resolved.id)) return null;
      return PREFIX + resolved.id + '.js';
    },
    load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const file = id.slice(PREFIX.length, -'.js'.length);
      return [
        `import css from ${JSON.stringify(file + '?inline')};`,
        `const style = document.createElement('style');`,
        `style.dataset.from = ${JSON.stringify(file.split(/node_modules[\\/]/).pop())};`,
        `style.textContent = css;`,
        `document.head.append(style);`,
      ].join('\n');
    },
  };
}
