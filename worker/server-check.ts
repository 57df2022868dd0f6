import type { defineSearchAttributeKey } from '@temporalio/common';
import type proto from '@temporalio/proto';
import { searchAttributes } from '../workflows/definitions.ts';

type SearchAttributeKey = ReturnType<typeof defineSearchAttributeKey>;
type OperatorService = proto.temporal.api.operatorservice.v1.OperatorService;

/** What the check needs of a connection: a client `Connection` or a worker `NativeConnection`. */
export interface OperatorConnection {
  operatorService: Pick<OperatorService, 'listSearchAttributes'>;
}

/** Where the worker is about to serve, for the check and for the commands its errors print. */
export interface ServerTarget {
  namespace: string;
  /** `host:port`, put into the printed command so it can be pasted as is. */
  address?: string;
}

/** The Temporal CLI's name for each search attribute type (`--type`). */
const cliTypes: Record<string, string> = {
  KEYWORD: 'Keyword',
  TEXT: 'Text',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/**
 * The server lacks search attributes Bosun's runs write. A run on it would fail every
 * workflow task on `BadSearchAttributes` and hang, so the worker refuses to start instead.
 * `command` registers exactly what is missing; it needs operator rights on the namespace.
 */
export class MissingSearchAttributesError extends Error {
  readonly namespace: string;
  readonly missing: readonly { name: string; type: string }[];
  readonly command: string;
  constructor(target: ServerTarget, missing: readonly SearchAttributeKey[]) {
    const command = createSearchAttributesCommand(target, missing);
    super(
      `namespace "${target.namespace}" lacks ${missing.length === 1 ? 'the search attribute' : `${missing.length} search attributes`} Bosun's runs write: ` +
        `${missing.map((k) => k.name).join(', ')}. Runs would hang on it, so the worker does not start. ` +
        `Register ${missing.length === 1 ? 'it' : 'them'} once (needs operator rights):\n  ${command}`,
    );
    this.name = 'MissingSearchAttributesError';
    this.namespace = target.namespace;
    this.missing = missing.map((k) => ({ name: k.name, type: cliTypes[k.type] ?? k.type }));
    this.command = command;
  }
}

/** The namespace a worker was told to serve does not exist on the server. */
export class NamespaceNotFoundError extends Error {
  readonly namespace: string;
  constructor(target: ServerTarget) {
    super(
      `namespace "${target.namespace}" does not exist on the Temporal server${target.address ? ` at ${target.address}` : ''}: ` +
        'set TEMPORAL_NAMESPACE to an existing one, or create it: ' +
        `temporal operator namespace create${target.address ? ` --address ${target.address}` : ''} --namespace ${target.namespace}`,
    );
    this.name = 'NamespaceNotFoundError';
    this.namespace = target.namespace;
  }
}

/**
 * `temporal operator search-attribute create ...` for `keys`, one command: each `--name` is
 * followed by its `--type` (the CLI pairs them in order).
 */
export function createSearchAttributesCommand(target: ServerTarget, keys: readonly SearchAttributeKey[]): string {
  const where = `${target.address ? ` --address ${target.address}` : ''} --namespace ${target.namespace}`;
  const pairs = keys.map((k) => `--name ${k.name} --type ${cliTypes[k.type] ?? k.type}`).join(' ');
  return `temporal operator search-attribute create${where} ${pairs}`;
}

/** gRPC status codes the check tells apart. */
const grpc = { notFound: 5, permissionDenied: 7, unimplemented: 12 } as const;
const codeOf = (err: unknown) => (err as { code?: unknown } | null)?.code;

/**
 * The search attributes of `keys` (by default Bosun's own, `searchAttributes` in
 * `workflows/definitions.ts` — the one list) that the namespace lacks. Throws
 * `NamespaceNotFoundError` for a namespace that does not exist. Resolves `undefined` when the
 * server will not say (no right to list them, or no operator service): then nothing can be
 * checked here.
 */
export async function missingSearchAttributes(
  connection: OperatorConnection,
  target: ServerTarget,
  keys: readonly SearchAttributeKey[] = Object.values(searchAttributes),
): Promise<SearchAttributeKey[] | undefined> {
  let listed;
  try {
    listed = await connection.operatorService.listSearchAttributes({ namespace: target.namespace });
  } catch (err) {
    const code = codeOf(err);
    if (code === grpc.notFound) throw new NamespaceNotFoundError(target);
    if (code === grpc.permissionDenied || code === grpc.unimplemented) return undefined;
    throw err;
  }
  const known = new Set([...Object.keys(listed.customAttributes ?? {}), ...Object.keys(listed.systemAttributes ?? {})]);
  return keys.filter((k) => !known.has(k.name));
}

/**
 * Checks, before a worker starts, that the server can take Bosun's runs: the namespace
 * exists (`NamespaceNotFoundError`) and has every search attribute the runs write
 * (`MissingSearchAttributesError`, with the command that adds them). A server that will not
 * list its attributes is not checked.
 *
 * @example
 * await requireSearchAttributes(connection, { namespace: 'default', address: '127.0.0.1:7233' });
 */
export async function requireSearchAttributes(connection: OperatorConnection, target: ServerTarget): Promise<void> {
  const missing = await missingSearchAttributes(connection, target);
  if (missing && missing.length > 0) throw new MissingSearchAttributesError(target, missing);
}
