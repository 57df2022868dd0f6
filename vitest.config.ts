import { defineConfig } from 'vitest/config';

/** Two projects: fast pure unit tests, and integration tests that share one real Temporal
 * dev server started by `test/setup/global-dev-server.ts` and one throwaway PostgreSQL
 * (`test/setup/global-postgres.ts`). */
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/replay/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/setup/global-dev-server.ts', 'test/setup/global-postgres.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
          maxWorkers: 2,
        },
      },
    ],
  },
});
