import { defineConfig } from 'vitest/config';

// Checks start real Go servers and attack them: run test files one at a time so that two
// checks never compete for the machine's two cores.
export default defineConfig({
  test: {
    include: ['checkers/test/**/*.test.ts', 'docker/**/*.test.ts', 'site/**/*.test.ts', 'runtime/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
