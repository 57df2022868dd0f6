import type { BosunClient } from '../client/client.ts';
import type { Catalog } from '../tools/catalog.ts';

/** What the route handlers work with. */
export interface RouteDeps {
  bosun: BosunClient;
  /** The workers' catalog: with it, edited tool arguments are checked here first, so a
   * refusal names each field (`issues`), before the run checks them again. */
  catalog?: Catalog;
  /** The Temporal UI's base URL (e.g. `http://127.0.0.1:8233`): runs get a link to it. */
  temporalUiBase?: string;
}

/** The namespace the client works in, for Temporal UI links. */
export const namespaceOf = (bosun: BosunClient): string => bosun.temporal.options.namespace;
