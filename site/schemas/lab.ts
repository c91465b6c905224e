// The lab manifest (labs/<id>/lab.json). One schema for the checker, the CLI and the site:
// a manifest the checker rejects cannot slip into the course pages.
export { labManifestSchema, chapters, type LabManifest } from '../../checkers/core/manifest.js';
