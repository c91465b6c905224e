// A reading page (chapter 5, no lab): site/content/reading/<locale>/<slug>.md.
import { z } from 'zod';
import { type Locale, isLocale } from '../i18n/locales.js';

export const readingSchema = z
  .object({
    title: z.string().trim().min(1),
    description: z.string().trim().min(1),
    /** the chapter it belongs to; reading pages are chapter 5 unless said otherwise */
    chapter: z.number().int().min(1).max(5).default(5),
    /** position in the chapter, after the chapter's labs */
    order: z.number().int().min(0),
  })
  .strict();

export type ReadingFrontmatter = z.infer<typeof readingSchema>;

/** Entry ids are "<locale>/<slug>": "en/about", "zh-cn/about". */
export function parseReadingId(id: string): { locale: Locale; slug: string } {
  const slash = id.indexOf('/');
  const locale = id.slice(0, slash);
  const slug = id.slice(slash + 1);
  if (slash < 1 || !isLocale(locale) || !/^[a-z0-9][a-z0-9-/]*$/.test(slug)) {
    throw new Error(`"${id}" is not a reading page id: put pages under site/content/reading/<en|zh-cn>/<slug>.md`);
  }
  return { locale, slug };
}
