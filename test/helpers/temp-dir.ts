import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Folders a test file makes under the system temp folder, removed when the file is done: a
 * run store, a knowledge base, a bundle. This module registers its `afterAll` when a test file
 * first imports it, before the file's own hooks, so it runs after them (vitest runs `afterAll`
 * hooks last-registered first): the workers and servers that used the folders have stopped.
 */
const made: string[] = [];

/** A fresh folder under the system temp folder (`mkdtempSync(prefix)`), removed after the file. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of made.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Best effort: a process the file started may still hold a file open (Windows) or be
      // writing; a folder left behind must not fail the tests.
    }
  }
});
