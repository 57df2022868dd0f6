import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { missingSearchAttributes } from './server-check.ts';

const { temporal } = proto;

const kinds = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
} as const;

/**
 * Registers Bosun's search attributes (`searchAttributes` in `workflows/definitions.ts`, the
 * one list) in a namespace when they are missing: what a worker does on a dev server it owns
 * (a database persisted before they existed, a fresh namespace). Needs operator rights; on a
 * server the worker does not own, `requireSearchAttributes` checks instead and names the
 * `temporal operator search-attribute create` command. Resolves with the names it added.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const missing = (await missingSearchAttributes(connection, { namespace })) ?? [];
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, kinds[k.type as keyof typeof kinds]])),
  });
  return missing.map((k) => k.name);
}
