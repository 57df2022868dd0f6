/**
 * Imported first by the workflow bundle's entry (and by `workflows/index.ts`): a run adopts
 * the modules an earlier run evaluated (`shared-modules.ts`) before any of its own imports
 * could evaluate them again. A module of its own because ES imports run before a module's
 * body: only an import placed first runs before the others.
 */
import { adoptSharedModules } from './shared-modules.ts';

adoptSharedModules();
