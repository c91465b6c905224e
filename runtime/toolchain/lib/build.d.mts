// Types of build.mjs for the TypeScript side (tests, bench, the checker's builder seam).
export declare class GoCommandError extends Error {
  constructor(message: string, exitCode?: number);
  exitCode: number;
}
export interface LocalPackage {
  importPath: string;
  name: string;
  dir: string;
  files: { name: string; path: string; source: string }[];
  localImports: string[];
  packImports: string[];
}
export interface BuildRequest {
  /** the go command's working directory */
  cwd: string;
  /** package patterns ('.', './sub', an import path of the module) or .go files; none means '.' */
  patterns: string[];
  env?: NodeJS.ProcessEnv;
  tags?: string[];
  ldflags?: string;
  trimpath?: boolean;
  /** -a: ignore the build cache */
  rebuild?: boolean;
  /** -work: keep the temporary work directory (called with its path) */
  keepWork?: (dir: string) => void;
  /** -v: each compiled package's import path */
  log?: (line: string) => void;
  /** -x: each tool invocation */
  trace?: (line: string) => void;
}
export interface BuildResult {
  main: LocalPackage;
  packages: LocalPackage[];
  module: string;
  /** the linked program in the build cache (undefined for a package that is not main) */
  wasm: string | undefined;
  /** true when the cache had it: no compile, no link */
  cached: boolean;
  compileMs: number;
  linkMs: number;
}
export declare function findModuleRoot(dir: string): string | undefined;
export declare function cacheDir(env: NodeJS.ProcessEnv): string;
export declare function buildProgram(req: BuildRequest): Promise<BuildResult>;
export declare function relativize(text: string, dir: string, cwd: string): string;
export declare function outputPath(cwd: string, main: LocalPackage, o: string | undefined): string;
