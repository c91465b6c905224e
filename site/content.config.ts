// Content collections (Astro content layer). Everything the course shows comes from disk:
//   labs     labs/<id>/lab.json                       (schema: schemas/lab.ts, shared with the checker)
//   lessons  labs/<id>/README.md, README.zh-CN.md       (schema: schemas/lesson.ts)
//   reading  site/content/reading/<locale>/<slug>.md    (schema: schemas/reading.ts)
// LABS_DIR points the site at another labs folder (the checker honours the same variable).
import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { labEntryId, labManifestSchema } from './schemas/lab.js';
import { lessonId, lessonSchema } from './schemas/lesson.js';
import { readingSchema } from './schemas/reading.js';

const labsBase = process.env.LABS_DIR ?? './labs';

const labs = defineCollection({
  loader: glob({
    base: labsBase,
    pattern: '*/lab.json',
    generateId: ({ entry, data }) => labEntryId(entry, data),
  }),
  schema: labManifestSchema,
});

const lessons = defineCollection({
  loader: glob({ base: labsBase, pattern: ['*/README.md', '*/README.zh-CN.md'], generateId: ({ entry }) => lessonId(entry) }),
  schema: lessonSchema,
});

const reading = defineCollection({
  loader: glob({ base: './site/content/reading', pattern: '{en,zh-cn}/**/*.md' }),
  schema: readingSchema,
});

export const collections = { labs, lessons, reading };
