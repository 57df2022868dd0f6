import { Validator, type OutputUnit, type SchemaDraft } from '@cfworker/json-schema';
import type { IssueLike } from '../../core/zod-issues.ts';

/**
 * Checks a value against a JSON Schema a server sent (an MCP tool's input schema). It uses
 * `@cfworker/json-schema`, which interprets the schema (no `eval`, no `new Function`), so it
 * runs inside Temporal's workflow sandbox as well as in Node, with the same answer: the
 * workflow refuses an invalid call before anything is scheduled, and the activity checks it
 * again before it reaches the server.
 */
export function jsonSchemaIssues(schema: Record<string, unknown>, value: unknown): IssueLike[] {
  let result;
  try {
    result = validatorFor(schema).validate(value);
  } catch (err) {
    // A schema the validator cannot use — a `$ref` it cannot resolve (another document), a
    // `pattern` that is no regular expression in Unicode mode — throws. Thrown in the
    // workflow, that would fail its task again and again: the run would hang. Refused
    // instead, the same way on every replay; the model learns the tool cannot be used.
    const why = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
    return [
      {
        path: [],
        message: `the MCP server's input schema for this tool cannot be checked (${why}), so no call to it can be made`,
      },
    ];
  }
  if (result.valid) return [];
  // Drop the summaries ("Property x does not match schema") and follow-ups of a leaf issue.
  const leaves = result.errors.filter((e) => !summaryKeywords.has(e.keyword));
  return (leaves.length ? leaves : result.errors).map(toIssue);
}

const summaryKeywords = new Set(['properties', 'items', 'prefixItems', 'additionalItems', 'false', '$ref']);

function toIssue(e: OutputUnit): IssueLike {
  const path = e.instanceLocation
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return { path, message: e.error };
}

/** The schema's draft, from its `$schema` (2020-12, what current MCP SDKs write, when absent). */
export function schemaDraft(schema: Record<string, unknown>): SchemaDraft {
  const uri = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (uri.includes('draft-04')) return '4';
  if (uri.includes('draft-07') || uri.includes('draft-06')) return '7';
  if (uri.includes('2019-09')) return '2019-09';
  return '2020-12';
}

// Validators compile a schema's references once; a run checks the same few schemas often.
// Keyed by object identity (the pinned schema lives as long as the run), so nothing is shared
// between runs and nothing depends on when a validator was made.
const validators = new WeakMap<Record<string, unknown>, Validator>();
function validatorFor(schema: Record<string, unknown>): Validator {
  let v = validators.get(schema);
  if (!v) {
    v = new Validator(schema as never, schemaDraft(schema), false);
    validators.set(schema, v);
  }
  return v;
}
