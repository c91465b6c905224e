// Lessons are READMEs: they open with "# Title", which the lesson page already shows (from
// lab.json). This drops that first top-level h1 from labs/*/README*.md and leaves every other
// markdown file alone.
export default function rehypeLessonTitle() {
  return (tree, file) => {
    const path = String(file.path ?? file.history?.[0] ?? '');
    if (!/README(\.[A-Za-z-]+)?\.md$/.test(path)) return;
    const i = tree.children.findIndex((n) => n.type === 'element' && n.tagName === 'h1');
    if (i >= 0) tree.children.splice(i, 1);
  };
}
