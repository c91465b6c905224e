// Types of gosrc.mjs for the TypeScript side (build.ts, tests).
export declare const knownOS: Set<string>;
export declare const knownArch: Set<string>;
export declare function jsWasmTags(goVersion: string): (tag: string) => boolean;
export declare function evalBuildExpr(expr: string, has: (tag: string) => boolean): boolean;
export declare function goodFileName(name: string): boolean;
export interface ImportSpec {
  path: string;
  line: number;
  col: number;
}
export interface FileHeader {
  packageName: string | undefined;
  imports: ImportSpec[];
  goBuild: string | undefined;
  plusBuild: string[];
  embeds: boolean;
}
export declare function parseHeader(src: string): FileHeader;
export declare function constraintsHold(h: FileHeader, has: (tag: string) => boolean): boolean;
export interface GoFile {
  name: string;
  header: FileHeader;
}
export interface SelectedPackage {
  files: GoFile[];
  packageName: string | undefined;
  ignored: string[];
  errors: string[];
}
export declare function selectPackageFiles(
  entries: { name: string; source: string }[],
  goVersion: string,
  opts?: { has?: (tag: string) => boolean; useAll?: boolean },
): SelectedPackage;
export declare function isStdPath(path: string): boolean;
