// The lab manifest (labs/<id>/lab.json). One schema for the checker, the CLI and the site:
// a manifest the checker rejects cannot slip into the course pages.
export { labManifestSchema, chapters, type LabManifest } from '../../checkers/core/manifest.js';

/** The entry id of labs/<folder>/lab.json: the folder, which must be the manifest's id. */
export function labEntryId(file: string, data: Record<string, unknown>): string {
  const [folder, name, ...rest] = file.split('/');
  if (!folder || name !== 'lab.json' || rest.length) throw new Error(`${file}: not a lab manifest (expected <lab>/lab.json)`);
  if (data.id !== folder) throw new Error(`${file}: id is "${String(data.id)}" but the folder is "${folder}"`);
  return folder;
}
