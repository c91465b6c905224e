// A lesson: labs/<id>/README.md (English) and labs/<id>/README.zh-CN.md (Simplified Chinese).
// Lessons are plain READMEs that also read well on GitHub, so every frontmatter field is optional;
// the lab's title and summary come from lab.json.
import { z } from 'zod';
import { type Locale, isLocale } from '../i18n/locales.js';

export const lessonSchema = z
  .object({
    /** overrides lab.json's title on the lesson page */
    title: z.string().trim().min(1).optional(),
    /** the page's meta description; defaults to lab.json's summary */
    description: z.string().trim().min(1).optional(),
  })
  .strict();

export type LessonFrontmatter = z.infer<typeof lessonSchema>;

const files: Record<string, Locale> = { 'README.md': 'en', 'README.zh-CN.md': 'zh-cn' };

/** Entry ids are "<lab>/<locale>": "slowloris/en", "slowloris/zh-cn". */
export function lessonId(file: string): string {
  const [lab, name, ...rest] = file.split('/');
  const locale = name ? files[name] : undefined;
  if (!lab || !locale || rest.length) throw new Error(`${file}: not a lesson file (expected <lab>/README.md or <lab>/README.zh-CN.md)`);
  return `${lab}/${locale}`;
}

export function parseLessonId(id: string): { lab: string; locale: Locale } {
  const [lab, locale] = id.split('/');
  if (!lab || !locale || !isLocale(locale)) throw new Error(`"${id}" is not a lesson id`);
  return { lab, locale };
}
