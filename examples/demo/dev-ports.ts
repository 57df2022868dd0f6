/**
 * Which ports `npm start`'s own Temporal dev server listens on: `--port` / `--ui-port`, else
 * `BOSUN_DEV_PORT` / `BOSUN_DEV_UI_PORT`, else 7233 / 8233 when they are free, else free
 * ones (printed). A port given explicitly that is taken is an error, not a silent change.
 * The same for the web console (`--console-port`, `BOSUN_CONSOLE_PORT`, 8787), and whether
 * it stays up after the demo's run (`--serve`, `BOSUN_SERVE=1`).
 */
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';

export interface PortRequest {
  /** gRPC port; chosen when absent. */
  port?: number;
  /** Web UI port; chosen when absent. */
  uiPort?: number;
  /** The web console's (and HTTP API's) port; chosen when absent. */
  consolePort?: number;
  /** Keep the console, the API and the worker up after the run, until Ctrl-C. */
  serve?: true;
}

export const defaultPorts = { port: 7233, uiPort: 8233, consolePort: 8787 } as const;

export const demoUsage = `Usage: npm start -- [--port N] [--ui-port N] [--console-port N] [--serve]
  --port N          the Temporal dev server's gRPC port (env BOSUN_DEV_PORT; default 7233, or a free one)
  --ui-port N       its Web UI port (env BOSUN_DEV_UI_PORT; default 8233, or a free one)
  --console-port N  the web console and HTTP API (env BOSUN_CONSOLE_PORT; default 8787, or a free one)
  --serve           keep the console, the API and the worker up after the run, until Ctrl-C (env BOSUN_SERVE=1)
With TEMPORAL_ADDRESS set, no dev server is started and --port / --ui-port do not apply.`;

function portOf(text: string, name: string): number | { error: string } {
  const n = Number(text);
  return /^\d+$/.test(text.trim()) && n >= 1 && n <= 65_535
    ? n
    : { error: `${name} must be a port number from 1 to 65535 (got "${text}")` };
}

/** The ports asked for on the command line or in the environment; `help` for `--help`. */
export function parsePortRequest(
  argv: string[],
  env: Record<string, string | undefined>,
): PortRequest | { help: true } | { error: string } {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        'ui-port': { type: 'string' },
        'console-port': { type: 'string' },
        serve: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  if (values.help) return { help: true };
  const request: PortRequest = {};
  const given = [
    ['port', values.port, '--port'],
    ['port', values.port === undefined ? env.BOSUN_DEV_PORT || undefined : undefined, 'BOSUN_DEV_PORT'],
    ['uiPort', values['ui-port'], '--ui-port'],
    ['uiPort', values['ui-port'] === undefined ? env.BOSUN_DEV_UI_PORT || undefined : undefined, 'BOSUN_DEV_UI_PORT'],
    ['consolePort', values['console-port'], '--console-port'],
    [
      'consolePort',
      values['console-port'] === undefined ? env.BOSUN_CONSOLE_PORT || undefined : undefined,
      'BOSUN_CONSOLE_PORT',
    ],
  ] as const;
  for (const [key, text, name] of given) {
    if (text === undefined) continue;
    const port = portOf(text, name);
    if (typeof port !== 'number') return port;
    request[key] = port;
  }
  if (request.port !== undefined && request.port === request.uiPort)
    return { error: `the gRPC port and the UI port must differ (both ${request.port})` };
  const devPorts = [request.port, request.uiPort].filter((p) => p !== undefined);
  if (request.consolePort !== undefined && devPorts.includes(request.consolePort))
    return { error: `the console port must differ from the dev server's ports (${request.consolePort})` };
  if (values.serve || /^(1|true|yes)$/i.test(env.BOSUN_SERVE ?? '')) request.serve = true;
  return request;
}

/** Resolves with `port` when it can be listened on at 127.0.0.1 now; with a free port for 0. */
export function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

export class PortInUseError extends Error {
  constructor(port: number, what: string, setting: string) {
    super(`port ${port} for the ${what} is in use; choose another with ${setting}, or leave it unset for a free one`);
    this.name = 'PortInUseError';
  }
}

/**
 * The ports to start the dev server on, and a note for each one that is not the default
 * (a default that was taken). Explicit ports are checked, never replaced.
 */
export async function choosePorts(request: PortRequest): Promise<{ port: number; uiPort: number; notes: string[] }> {
  const notes: string[] = [];
  const pick = (asked: number | undefined, fallback: number, what: string, setting: string, avoid?: number) =>
    pickPort({ asked, fallback, what, setting, avoid, notes });
  const port = await pick(request.port, defaultPorts.port, 'Temporal gRPC endpoint', '--port or BOSUN_DEV_PORT');
  const uiPort = await pick(
    request.uiPort,
    defaultPorts.uiPort,
    'Temporal Web UI',
    '--ui-port or BOSUN_DEV_UI_PORT',
    port,
  );
  return { port, uiPort, notes };
}

/** The port asked for (checked, never replaced), else `fallback` when free, else a free one
 * (with a note saying so). */
async function pickPort(o: {
  asked: number | undefined;
  fallback: number;
  what: string;
  setting: string;
  avoid?: number | undefined;
  notes: string[];
}): Promise<number> {
  if (o.asked !== undefined) {
    if ((await tryListen(o.asked)) === undefined) throw new PortInUseError(o.asked, o.what, o.setting);
    return o.asked;
  }
  if (o.fallback !== o.avoid && (await tryListen(o.fallback)) !== undefined) return o.fallback;
  let free: number | undefined;
  do free = await tryListen(0);
  while (free === undefined || free === o.avoid);
  o.notes.push(`port ${o.fallback} is in use: the ${o.what} takes free port ${free} (${o.setting} chooses one)`);
  return free;
}

/** The web console's port: `--console-port` / `BOSUN_CONSOLE_PORT` (checked), else 8787 when
 * free, else a free one (with a note). */
export async function chooseConsolePort(request: PortRequest): Promise<{ port: number; notes: string[] }> {
  const notes: string[] = [];
  const port = await pickPort({
    asked: request.consolePort,
    fallback: defaultPorts.consolePort,
    what: 'web console',
    setting: '--console-port or BOSUN_CONSOLE_PORT',
    notes,
  });
  return { port, notes };
}
