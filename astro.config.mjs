// The learner's site: lesson pages and the lab workspace. Sources live in site/ (see DESIGN.md).
import { defineConfig } from 'astro/config';
import rehypeLessonTitle from './site/lib/rehype-lesson-title.mjs';
import lazyCss from './site/lib/vite-lazy-css.mjs';
import runtimeAssets from './site/lib/runtime-assets.mjs';

// The in-browser runtime (a WebContainer) needs a cross-origin isolated page: these headers in
// `astro dev` and `astro preview` here; the agent sends them when it serves dist/; static hosts
// get them from site/public/_headers (Netlify, Cloudflare Pages) and vercel.json.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// `AGENT_ORIGIN=http://127.0.0.1:4321 npx astro dev`: the dev server forwards /api (and its
// WebSocket) to a running agent, so the workspace works while editing the site.
const agentOrigin = process.env.AGENT_ORIGIN;
const proxy = agentOrigin ? { '/api': { target: agentOrigin, ws: true, changeOrigin: true } } : undefined;

export default defineConfig({
  srcDir: './site',
  publicDir: './site/public',
  // Tests build fixture labs (LABS_DIR) into a temp folder without touching dist/ or the shared cache.
  outDir: process.env.SITE_OUT_DIR ?? './dist',
  cacheDir: process.env.SITE_CACHE_DIR ?? './node_modules/.astro',
  output: 'static',
  trailingSlash: 'ignore',
  build: { format: 'directory' },
  i18n: {
    locales: ['en', 'zh-cn'],
    defaultLocale: 'en',
    routing: { prefixDefaultLocale: false },
  },
  server: { headers: isolation },
  // /runtime/: the in-browser runtime's files and the browser labs' starters (site/lib/runtime-assets.mjs)
  integrations: [runtimeAssets()],
  markdown: {
    rehypePlugins: [rehypeLessonTitle],
    shikiConfig: { themes: { light: 'github-light', dark: 'github-dark' }, wrap: false },
  },
  vite: {
    plugins: [lazyCss()],
    // Monaco's editor worker splits its code: classic (iife) workers cannot.
    worker: { format: 'es' },
    server: { headers: isolation, proxy },
    preview: { headers: isolation, proxy },
    build: { chunkSizeWarningLimit: 4096 },
  },
});
