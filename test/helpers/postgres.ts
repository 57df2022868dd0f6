import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/**
 * A new, empty database on the integration run's PostgreSQL (`test/setup/global-postgres.ts`),
 * so a file's tables start clean and never meet another file's. Returns its URL.
 */
export async function freshDatabase(prefix: string): Promise<string> {
  const admin = inject('postgresUrl');
  const name = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}
