#!/usr/bin/env node
/**
 * `bosun <command>` (installed as the package's bin; `npm run bosun -- <command>` in this
 * repository): start a run, read its status, await its result, work the
 * approvals inbox, decide approvals, resolve escalations, cancel. The program; everything
 * it does is `main` in `cli/` (tested there without a server).
 *
 * @example
 * npm run bosun -- run --wait "How much is refunded for 2 opened mugs at $18.40?"
 * npm run bosun -- run --rag --routing example --wait "Can I return an opened mug?"
 * npm run bosun -- task --class classify --wait "My parcel never arrived"
 * npm run bosun -- status run-6f1c...
 * npm run bosun -- approvals
 * npm run bosun -- approve run-6f1c... ap-1 --as alice --groups support-leads
 */
import { main } from './cli/main.ts';

// Nothing else may live in this module: `main` runs during its evaluation (top-level await),
// and only what the imports above evaluated already exists then.
if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
