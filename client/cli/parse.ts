/**
 * Command line → command: the generic checks (known command, flags that apply to it,
 * connection settings), then the command's own parser.
 */
import { parseArgs } from 'node:util';
import { parseApprovals, parseDecision } from './approvals.ts';
import { isCommandName, type CommandName, type ConnectOptions, type ParseResult } from './command.ts';
import { parseResolution } from './escalations.ts';
import { allowedFlags, connectionFlags, flagOptions, type CommandArgs, type FlagValues } from './flags.ts';
import { parseRunById } from './run-by-id.ts';
import { parseRun } from './runs.ts';
import { parseMcp } from './mcp.ts';
import { parseErasures, parseForget } from './forget.ts';
import { parseWatch } from './watch.ts';
import { parseStats } from './stats.ts';
import { parseTrace } from './trace.ts';
import { parseTask } from './tasks.ts';

/** A parse result with the command it was for, when the command line got that far. */
export interface ParsedLine {
  name?: CommandName;
  result: ParseResult;
}

/** Like `parseCommand`, and says which command a usage error belongs to. */
export function parseCommandLine(argv: string[], env: Record<string, string | undefined> = process.env): ParsedLine {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: flagOptions, allowPositionals: true, strict: true });
  } catch (err) {
    // The command's own usage, not the whole help, when its name came before the bad flag.
    const first = argv.find((a) => !a.startsWith('-'));
    const name = first !== undefined && isCommandName(first) ? first : undefined;
    return { ...(name ? { name } : {}), result: { error: err instanceof Error ? err.message : String(err) } };
  }
  const values: FlagValues = parsed.values;
  const [name, ...rest] = parsed.positionals;
  if (values.help || name === undefined || name === 'help') return { result: { kind: 'help' } };
  if (!isCommandName(name)) return { result: { error: `unknown command "${name}"` } };

  const given = (Object.keys(values) as (keyof FlagValues)[]).filter((k) => values[k] !== undefined);
  const stray = given.find((flag) => !connectionFlags.includes(flag) && !allowedFlags[name].includes(flag));
  if (stray) return { name, result: { error: `--${stray} does not apply to "${name}"` } };

  const connection: ConnectOptions = {
    address: values.address || env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    namespace: values.namespace || env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: values['task-queue'] || env.BOSUN_TASK_QUEUE || 'bosun',
  };
  return { name, result: parseFor({ name, rest, values, connection, json: values.json ?? false }) };
}

function parseFor(args: CommandArgs): ParseResult {
  const { name } = args;
  switch (name) {
    case 'run':
      return parseRun({ ...args, name });
    case 'task':
      return parseTask({ ...args, name });
    case 'status':
    case 'result':
    case 'audit':
    case 'cancel':
      return parseRunById({ ...args, name });
    case 'approvals':
      return parseApprovals({ ...args, name });
    case 'approve':
    case 'reject':
    case 'edit':
      return parseDecision({ ...args, name });
    case 'answer':
    case 'redirect':
    case 'end':
      return parseResolution({ ...args, name });
    case 'stats':
      return parseStats({ ...args, name });
    case 'mcp':
      return parseMcp({ ...args, name });
    case 'watch':
      return parseWatch({ ...args, name });
    case 'trace':
      return parseTrace({ ...args, name });
    case 'forget':
      return parseForget({ ...args, name });
    case 'erasures':
      return parseErasures({ ...args, name });
  }
}

/**
 * Turns argv (without `node` and the script) into a command, or an error to print above the
 * usage. Connection settings come from flags, then the environment, then defaults.
 */
export function parseCommand(argv: string[], env: Record<string, string | undefined> = process.env): ParseResult {
  return parseCommandLine(argv, env).result;
}
