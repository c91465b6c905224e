// Types of gomod.mjs for the TypeScript side.
export interface Require {
  path: string;
  version: string;
  indirect: boolean;
}
export interface Replace {
  from: string;
  to: string;
}
export interface GoMod {
  module: string | undefined;
  go: string | undefined;
  requires: Require[];
  replaces: Replace[];
}
export declare function parseGoMod(text: string): GoMod;
export declare function langVersion(goLine: string | undefined): string;
export declare function providingModule<M extends { path: string }>(importPath: string, mods: M[]): M | undefined;
export declare function parseGoSum(text: string): Map<string, string>;
