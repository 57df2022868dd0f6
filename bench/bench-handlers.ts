/** Handlers for the bench catalog (bench/bench-catalog.ts): the padded calculator output. */
import type { ToolHandlers } from '../tools/handlers/types.ts';
import type benchCatalog from './bench-catalog.ts';
import { calcOutput, toolOutputBytes } from './tool-output.ts';

/** The module the bench's workers bundle as their catalog (`catalogModule`). */
export const benchCatalogModule = new URL('./bench-catalog.ts', import.meta.url);

export const benchHandlers: ToolHandlers<typeof benchCatalog> = {
  calc_20b: async ({ expression }) => calcOutput(expression, toolOutputBytes['20b']),
  calc_5kb: async ({ expression }) => calcOutput(expression, toolOutputBytes['5kb']),
};
