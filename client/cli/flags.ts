import type { CommandName, ConnectOptions } from './command.ts';

/** Every flag the CLI knows, for `util.parseArgs`; `allowedFlags` says which command takes which. */
export const flagOptions = {
  address: { type: 'string' },
  namespace: { type: 'string' },
  'task-queue': { type: 'string' },
  agent: { type: 'string' },
  model: { type: 'string' },
  'run-id': { type: 'string' },
  wait: { type: 'boolean' },
  json: { type: 'boolean' },
  limit: { type: 'string' },
  as: { type: 'string' },
  groups: { type: 'string' },
  comment: { type: 'string' },
  reason: { type: 'string' },
  input: { type: 'string' },
  async: { type: 'boolean' },
  class: { type: 'string' },
  instructions: { type: 'string' },
  routing: { type: 'string' },
  'output-schema': { type: 'string' },
  principal: { type: 'string' },
  rag: { type: 'boolean' },
  k: { type: 'string' },
  'min-score': { type: 'string' },
  'on-weak': { type: 'string' },
  since: { type: 'string' },
  timeout: { type: 'string' },
  from: { type: 'string' },
  step: { type: 'string' },
  detail: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Flag = keyof typeof flagOptions;

/** The flags given on a command line, as `parseArgs` returns them. */
export type FlagValues = { [F in Flag]?: (typeof flagOptions)[F]['type'] extends 'boolean' ? boolean : string };

/** Flags every command takes: where Temporal and the workers are. */
export const connectionFlags: readonly Flag[] = ['address', 'namespace', 'task-queue'];

const actorFlags: Flag[] = ['as', 'groups', 'json'];

/** The flags each command takes besides `connectionFlags`; any other is a usage error. */
export const allowedFlags: Record<CommandName, readonly Flag[]> = {
  run: [
    'agent',
    'model',
    'routing',
    'principal',
    'output-schema',
    'rag',
    'k',
    'min-score',
    'on-weak',
    'run-id',
    'wait',
    'json',
  ],
  task: ['class', 'instructions', 'model', 'routing', 'output-schema', 'run-id', 'wait', 'json'],
  status: ['json'],
  result: ['json', 'timeout'],
  audit: ['json'],
  trace: ['step', 'detail', 'json'],
  cancel: [],
  watch: ['json', 'from'],
  approvals: ['limit', 'json'],
  stats: ['since', 'agent', 'json'],
  mcp: ['json', 'timeout'],
  forget: ['as', 'json'],
  erasures: ['limit', 'json'],
  approve: [...actorFlags, 'comment', 'async'],
  reject: [...actorFlags, 'reason', 'async'],
  edit: [...actorFlags, 'input', 'comment', 'async'],
  answer: actorFlags,
  redirect: actorFlags,
  end: [...actorFlags, 'reason'],
};

/** A command line after the generic checks, as each command's parser receives it. */
export interface CommandArgs<N extends CommandName = CommandName> {
  name: N;
  /** The positional arguments after the command name. */
  rest: string[];
  values: FlagValues;
  connection: ConnectOptions;
  json: boolean;
}
