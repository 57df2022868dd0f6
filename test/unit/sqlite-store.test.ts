import { describe, expect, it } from 'vitest';
import { inTransaction, openSqlite } from '../../activities/store/sqlite.ts';

describe('inTransaction', () => {
  it('keeps all of the writes, or none when the work throws', () => {
    const db = openSqlite(':memory:');
    db.exec('CREATE TABLE t (n INTEGER)');
    const insert = db.prepare('INSERT INTO t (n) VALUES (?)');
    const count = () => (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
    expect(inTransaction(db, () => [1, 2].map((n) => insert.run(n)).length)).toBe(2);
    expect(() =>
      inTransaction(db, () => {
        insert.run(3);
        throw new Error('half way');
      }),
    ).toThrow('half way');
    expect(count()).toBe(2);
    expect(inTransaction(db, count, 'deferred')).toBe(2);
    expect(db.isTransaction).toBe(false);
    db.close();
  });
});
