import { z } from 'zod';
import { defineTool } from '../define-tool.ts';

export const searchDocs = defineTool({
  name: 'search_docs',
  description:
    'Search the company knowledge base. Returns the best-matching passages with their document ids. ' +
    'Use short keyword queries.',
  input: z.object({
    query: z.string().min(2).max(300).describe('Keywords, e.g. "refund policy damaged items"'),
    limit: z.number().int().min(1).max(10).default(3).describe('How many passages to return (1-10)'),
  }),
  effect: 'read',
  maxResultChars: 6_000,
});

export const readDoc = defineTool({
  name: 'read_doc',
  description: 'Read one knowledge-base document in full by its id (as returned by search_docs).',
  input: z.object({
    id: z.string().min(1).max(200).describe('Document id, e.g. "refunds"'),
  }),
  effect: 'read',
  maxResultChars: 8_000,
});
