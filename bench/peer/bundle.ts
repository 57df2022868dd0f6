/**
 * Bundles the peer's workflow code once, the way the AiSdkPlugin configures it (its
 * polyfills first), into the file named by the first argument. The bench runs this before it
 * starts the peer's worker from the file — as it starts Bosun's and the floor's from bundles
 * it built — so no worker's RSS carries the bundler.
 */
import { AiSdkPlugin } from '@temporalio/ai-sdk';
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { modelProvider } from './provider.ts';

const out = process.argv[2];
if (!out) throw new Error('usage: node bench/peer/bundle.ts <output file>');
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn: console.error, error: console.error };
const { code } = await bundleWorkflowCode({
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  plugins: [new AiSdkPlugin({ modelProvider: modelProvider('http://unused.invalid/v1') })],
  logger: quiet,
});
await writeFile(out, code);
