import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const names = ['chromium', 'chromium-browser', 'google-chrome'];

function onPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const n of names) {
      try {
        accessSync(join(dir, n), constants.X_OK);
        return join(dir, n);
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/**
 * Finds a Chromium for the UI test, in order: `CHROMIUM_PATH`, `chromium` on PATH, or —
 * as root on Debian — installs the `chromium` package (the same way the project provisions
 * the Temporal CLI). Fails with one message saying what to install otherwise.
 */
export async function findOrInstallChromium(log: (line: string) => void = () => {}): Promise<string> {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  const found = onPath();
  if (found) return found;
  if (process.getuid?.() === 0) {
    try {
      log('installing Debian chromium for the UI test (apt-get) ...');
      await run('apt-get', ['update', '-qq'], { timeout: 300_000 });
      await run('apt-get', ['install', '-y', '-qq', 'chromium'], {
        timeout: 600_000,
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
      const installed = onPath();
      if (installed) return installed;
    } catch (err) {
      log(`apt-get install chromium failed: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error('The UI test needs Chromium: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH.');
}
