import { canonicalJson } from '../../tools/fingerprint.ts';
import type { BlobRef } from '../store/blob-store.ts';

/** What a server's `tools/call` answers, as far as Bosun reads it (the MCP result shape). */
export interface McpCallResult {
  content?: unknown[];
  structuredContent?: unknown;
  isError?: boolean;
}

/** Stores bytes out of history and returns the reference the result shows instead. */
export type StoreBinary = (bytes: Uint8Array, mimeType: string) => BlobRef;

/**
 * A server's result as the text the model sees: text blocks as they are; structured content
 * as JSON after them, unless it only repeats them (a text block carries the same JSON, as
 * the spec suggests servers do, or every value in it is text already shown — the reference
 * filesystem server sends `{ content: <the text> }`); embedded text resources with their URI; images, audio and blob resources stored by
 * reference (`[image image/png, 1,234 bytes: blob:…]`) — never their bytes, which would bloat
 * history and mean nothing to most models; resource links as their URI. `isError` is passed
 * through: the activity turns it into a typed tool error.
 */
export function mapMcpResult(result: McpCallResult, store: StoreBinary): { text: string; isError: boolean } {
  const parts: string[] = [];
  for (const block of result.content ?? []) parts.push(blockText(block, store));
  if (result.structuredContent !== undefined && !repeatsText(result.structuredContent, parts)) {
    parts.push(JSON.stringify(result.structuredContent));
  }
  return { text: parts.join('\n'), isError: result.isError === true };
}

function blockText(block: unknown, store: StoreBinary): string {
  const b = (typeof block === 'object' && block !== null ? block : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (b.type) {
    case 'text':
      return str(b.text);
    case 'image':
    case 'audio':
      return stored(String(b.type), str(b.data), str(b.mimeType) || 'application/octet-stream', store);
    case 'resource_link':
      return `[resource link: ${str(b.name) || str(b.uri)} ${str(b.uri)}${b.mimeType ? ` (${str(b.mimeType)})` : ''}]`;
    case 'resource': {
      const r = (typeof b.resource === 'object' && b.resource !== null ? b.resource : {}) as Record<string, unknown>;
      if (typeof r.text === 'string') return `[resource ${str(r.uri)}]\n${r.text}`;
      const kept = stored('resource', str(r.blob), str(r.mimeType) || 'application/octet-stream', store);
      return `${kept.slice(0, -1)}, ${str(r.uri)}]`;
    }
    default:
      return `[content of type ${JSON.stringify(b.type ?? null)} not shown]`;
  }
}

function stored(kind: string, base64: string, mimeType: string, store: StoreBinary): string {
  const ref = store(Buffer.from(base64, 'base64'), mimeType);
  return `[${kind} ${ref.mimeType}, ${ref.bytes.toLocaleString('en-US')} bytes, stored as ${ref.ref}]`;
}

function repeatsText(structured: unknown, parts: string[]): boolean {
  const json = canonicalJson(structured);
  if (parts.some((p) => sameJson(p, json))) return true;
  const leaves: unknown[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    else leaves.push(v);
  };
  walk(structured);
  const text = parts.join('\n');
  return leaves.length > 0 && leaves.every((l) => typeof l === 'string' && text.includes(l));
}

function sameJson(text: string, canonical: string): boolean {
  const t = text.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return false;
  try {
    return canonicalJson(JSON.parse(t)) === canonical;
  } catch {
    return false;
  }
}
