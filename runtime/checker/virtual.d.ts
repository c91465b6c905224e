// Virtual modules that runtime/bundle.ts generates while it bundles the checker.
declare module 'ghl:labs' {
  /** every lab's manifest, starter and solution files ("labs/<id>/...", "solutions/<id>/...") */
  export const files: { path: string; contents: string; binary?: boolean }[];
  /** a hash of those files: the extraction folder's name */
  export const hash: string;
}

declare module 'ghl:checkers' {
  import type { CheckerSpec } from '../../checkers/core/spec.js';
  /** checkers/<id>.ts for every lab, imported statically */
  export function loadChecker(labId: string): Promise<CheckerSpec>;
}
