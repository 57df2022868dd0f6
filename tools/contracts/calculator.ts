import { z } from 'zod';
import { defineTool } from '../define-tool.ts';

export const calculator = defineTool({
  name: 'calculator',
  description:
    'Evaluate an arithmetic expression exactly as written. Supports + - * / % ^, parentheses and decimals. ' +
    'Use it for every calculation instead of doing arithmetic yourself.',
  input: z.object({
    expression: z.string().min(1).max(500).describe('Arithmetic expression, e.g. "2 * (24.50 - 3) / 4"'),
  }),
  effect: 'read',
  maxResultChars: 200,
});
