import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: more workers only make the multi-process tests fight for CPU.
    maxWorkers: 2,
  },
});
