import { describe, expect, it } from 'vitest';
import { isTransientPostgresError } from '../../activities/store/postgres/errors.ts';
import { describeConfig, loadWorkerConfig } from '../../worker/config.ts';

describe('BOSUN_DATABASE_URL', () => {
  it('selects PostgreSQL; a URL of another kind is refused at start, by name', () => {
    expect(loadWorkerConfig({}).BOSUN_DATABASE_URL).toBeUndefined();
    expect(loadWorkerConfig({ BOSUN_DATABASE_URL: ' ' }).BOSUN_DATABASE_URL).toBeUndefined();
    const url = 'postgres://bosun:s3cret@db.internal:5432/bosun';
    expect(loadWorkerConfig({ BOSUN_DATABASE_URL: url }).BOSUN_DATABASE_URL).toBe(url);
    expect(() => loadWorkerConfig({ BOSUN_DATABASE_URL: 'mysql://db/bosun' })).toThrow(
      /BOSUN_DATABASE_URL.*must be a PostgreSQL URL/,
    );
  });

  it('is printed with its credentials masked', () => {
    const line = describeConfig(loadWorkerConfig({ BOSUN_DATABASE_URL: 'postgresql://bosun:s3cret@db:5432/bosun' }));
    expect(line).toContain('store: postgresql://***@db:5432/bosun');
    expect(line).not.toContain('s3cret');
  });
});

describe('PostgreSQL failures', () => {
  const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

  it('tells "the database is not there" (retry) from "the query is wrong" (do not)', () => {
    for (const transient of [
      withCode('ECONNREFUSED'),
      withCode('ECONNRESET'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('57P03', 'the database system is starting up'),
      withCode('08006'),
      withCode('40001'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      expect(isTransientPostgresError(transient), transient.message).toBe(true);
    }
    for (const permanent of [withCode('42P01', 'relation "messages" does not exist'), withCode('23505'), 'text']) {
      expect(isTransientPostgresError(permanent)).toBe(false);
    }
  });
});
