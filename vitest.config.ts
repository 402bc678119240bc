import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    pool: "forks",
    // The memory test collects garbage before it measures the heap.
    poolOptions: { forks: { execArgv: ["--expose-gc"] } },
  },
});
