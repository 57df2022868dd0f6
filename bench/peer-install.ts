/**
 * bench/peer is a package of its own (its @temporalio/* versions differ from Bosun's), not
 * installed with the project: `npm run bench -- --peer` installs it on first use, from its
 * lockfile, and again whenever the lockfile changed since.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const peerDir = fileURLToPath(new URL('./peer/', import.meta.url));

export function ensurePeerInstalled(log: (line: string) => void): void {
  const lock = join(peerDir, 'package-lock.json');
  const installed = join(peerDir, 'node_modules', '.package-lock.json');
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return;
  log('bench/peer is not installed (or its lockfile changed): npm ci --prefix bench/peer (once, ~1 min) ...');
  // Under `npm run`, npm_execpath is the npm that runs us: use it with this Node.
  const npm = process.env.npm_execpath;
  const [cmd, args] = npm
    ? [process.execPath, [npm, 'ci', '--prefix', peerDir, '--no-audit', '--no-fund']]
    : ['npm', ['ci', '--prefix', peerDir, '--no-audit', '--no-fund']];
  // Its output goes to stderr: stdout carries the bench's table and JSON line.
  const r = spawnSync(cmd, args, { stdio: ['ignore', 2, 2] });
  if (r.status !== 0) {
    throw new Error(
      `npm ci --prefix bench/peer failed (${r.error?.message ?? `exit ${r.status}`}): the peer comparison needs the npm registry once`,
    );
  }
}

/** Bundles the peer's workflows (bench/peer/bundle.ts, in a process of its own) into `out`. */
export function bundlePeer(out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(peerDir, 'bundle.ts'), out],
      { cwd: peerDir, maxBuffer: 16 * 2 ** 20 },
      (err, _stdout, stderr) =>
        err ? reject(new Error(`bundling the peer's workflows failed: ${err.message}\n${stderr}`)) : resolve(),
    );
  });
}
