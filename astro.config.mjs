// The learner's site: lesson pages and the lab workspace. Sources live in site/ (see DESIGN.md).
import { defineConfig } from 'astro/config';

// The future in-browser runtime (WebContainer) needs a cross-origin isolated page.
// The agent sends the same headers when it serves dist/.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  srcDir: './site',
  publicDir: './site/public',
  outDir: './dist',
  output: 'static',
  trailingSlash: 'ignore',
  build: { format: 'directory' },
  i18n: {
    locales: ['en', 'zh-cn'],
    defaultLocale: 'en',
    routing: { prefixDefaultLocale: false },
  },
  server: { headers: isolation },
  markdown: {
    shikiConfig: { themes: { light: 'github-light', dark: 'github-dark' }, wrap: false },
  },
  vite: {
    // Monaco's editor worker splits its code: classic (iife) workers cannot.
    worker: { format: 'es' },
    server: { headers: isolation },
    preview: { headers: isolation },
    build: { chunkSizeWarningLimit: 4096 },
  },
});
