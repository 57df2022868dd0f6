/**
 * The bench's own catalog: one calculator-like tool per output size (bench/tool-output.ts),
 * defined the way a user defines tools, so Bosun serves them exactly as it serves a user's.
 * The workers bundle this module (`catalogModule`): sandbox-safe, contracts only.
 */
import { defineCatalog, defineTool, z } from '../tools/index.ts';
import { benchToolName, toolOutputBytes, type ToolSize } from './tool-output.ts';

const calcTool = <S extends ToolSize>(size: S) =>
  defineTool({
    name: benchToolName(size),
    description: 'Evaluate an arithmetic expression such as "2+3".',
    input: z.object({ expression: z.string() }),
    effect: 'read',
    // Room for the largest output: the bench measures results as they are, never truncated.
    maxResultChars: Math.max(8_000, toolOutputBytes[size] * 2),
  });

export const calc20b = calcTool('20b');
export const calc5kb = calcTool('5kb');

export default defineCatalog({ tools: [calc20b, calc5kb] });
