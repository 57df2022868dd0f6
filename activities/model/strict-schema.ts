/**
 * Whether a JSON Schema can be sent to OpenAI structured outputs with `strict: true`.
 * Strict mode guarantees the answer matches the schema, but it accepts only a subset of
 * JSON Schema and rejects the whole request (HTTP 400) otherwise, so the adapter asks for
 * strict only when this says yes and falls back to best-effort `strict: false` (the answer
 * is then validated with zod anyway).
 */

/** Keywords strict mode does not accept anywhere in the schema. */
const UNSUPPORTED = [
  'oneOf',
  'allOf',
  'not',
  'if',
  'then',
  'else',
  'patternProperties',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
  'dependentRequired',
  'dependentSchemas',
] as const;

/** Keywords whose value is a schema / a list of schemas / a map of schemas. */
const SUBSCHEMA = ['items', 'additionalProperties', 'not', 'contains'] as const;
const SUBSCHEMA_LISTS = ['anyOf', 'prefixItems'] as const;
const SUBSCHEMA_MAPS = ['properties', '$defs', 'definitions'] as const;

/**
 * True when every object schema in `schema` lists all of its properties in `required` and
 * has `additionalProperties: false`, the root is an object, every subschema says what it is
 * (`type`, `anyOf`, `$ref`, `enum` or `const`; `{}` "anything" is not allowed) and no
 * unsupported keyword (`oneOf`, `allOf`, `not`, `patternProperties`, ...) appears.
 * Optional fields, records (`additionalProperties: {schema}`) and `z.unknown()` therefore
 * make a schema non-strict; `.nullable()` fields are fine.
 *
 * @example
 * isStrictCompatible(z.toJSONSchema(z.object({ a: z.string() })))            // true
 * isStrictCompatible(z.toJSONSchema(z.object({ a: z.string().optional() }))) // false
 */
export function isStrictCompatible(schema: unknown): boolean {
  if (!isRecord(schema) || !isObjectSchema(schema)) return false;
  return walk(schema, 0);
}

const MAX_DEPTH = 64;

function walk(node: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH || !isRecord(node)) return false;
  if (UNSUPPORTED.some((k) => k in node)) return false;
  const describesItself = ['type', 'anyOf', '$ref', 'enum', 'const'].some((k) => k in node);
  if (!describesItself) return false;

  if (isObjectSchema(node)) {
    if (node['additionalProperties'] !== false) return false;
    const properties = node['properties'] ?? {};
    if (!isRecord(properties)) return false;
    const required = node['required'] ?? [];
    if (!Array.isArray(required)) return false;
    const listed = new Set(required);
    if (!Object.keys(properties).every((name) => listed.has(name))) return false;
  }

  for (const key of SUBSCHEMA) {
    const sub = node[key];
    // `additionalProperties: false` is the one non-schema value allowed (checked above).
    if (sub === undefined || sub === false) continue;
    if (Array.isArray(sub)) {
      if (!sub.every((s) => walk(s, depth + 1))) return false;
    } else if (!walk(sub, depth + 1)) return false;
  }
  for (const key of SUBSCHEMA_LISTS) {
    const list = node[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every((s) => walk(s, depth + 1))) return false;
  }
  for (const key of SUBSCHEMA_MAPS) {
    const map = node[key];
    if (map === undefined) continue;
    if (!isRecord(map) || !Object.values(map).every((s) => walk(s, depth + 1))) return false;
  }
  return true;
}

function isObjectSchema(node: Record<string, unknown>): boolean {
  const type = node['type'];
  return (
    type === 'object' ||
    (Array.isArray(type) && type.includes('object')) ||
    (type === undefined && 'properties' in node)
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
