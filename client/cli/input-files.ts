/**
 * The JSON files a `run` or `task` names (agent, routing table, principal, output schema):
 * read and checked before anything connects, each problem said in terms of the file.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import type { ProviderName } from '../../core/model.ts';
import type { OutputContractInput } from '../../core/output.ts';
import type { RoutingTableInput } from '../../core/routing.ts';
import { exampleProvidersFromEnv, exampleRouting } from '../example-agent.ts';
import { firstLine } from './format.ts';
import { exampleRoutingName } from './start-options.ts';

/** A problem the user fixes by changing the command line or its files (exit 2). */
export class UsageProblem extends Error {}

export type ReadFile = (path: string) => Promise<string>;

/** What reading a command's input takes: its files, and the environment (`--routing example`). */
export interface InputDeps {
  readFile: ReadFile;
  env: Record<string, string | undefined>;
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export async function readJson(read: ReadFile, path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await read(path);
  } catch (err) {
    throw new UsageProblem(`cannot read ${what} ${path}: ${firstLine(err)}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageProblem(`${what} ${path} is not valid JSON: ${firstLine(err)}`);
  }
}

/**
 * The providers `--routing example` routes over: those whose credentials or URL are set in
 * the CLI's environment (the same variables the worker reads), `openai` when none is — the
 * provider `npm start`'s built-in fake speaks.
 */
export function providersFromEnv(env: Record<string, string | undefined>): ProviderName[] {
  return exampleProvidersFromEnv(env);
}

export async function loadRouting(spec: string, d: InputDeps): Promise<RoutingTableInput> {
  if (spec === exampleRoutingName) return exampleRouting(providersFromEnv(d.env));
  return (await readJson(d.readFile, spec, 'routing file')) as RoutingTableInput;
}

/** A contract name from the schema's `title` or the file name, as providers accept it. */
export function contractName(title: unknown, path: string): string {
  const base = typeof title === 'string' && title.trim() ? title : basename(path).replace(/\.[^.]*$/, '');
  return (
    base
      .replace(/[^a-zA-Z0-9_-]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 64) || 'output'
  );
}

/** Reads a JSON Schema file into an output contract, checking that the workflow will be able
 * to build its validator from it (`z.fromJSONSchema`) before anything starts. */
export async function loadOutputContract(path: string, read: ReadFile): Promise<OutputContractInput> {
  const json = await readJson(read, path, 'output schema file');
  if (!isRecord(json)) throw new UsageProblem(`output schema file ${path} must hold a JSON Schema object`);
  const { $schema: _dialect, ...schema } = json;
  try {
    z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (err) {
    throw new UsageProblem(`output schema file ${path} is not a JSON Schema Bosun can check: ${firstLine(err)}`);
  }
  return { name: contractName(json.title, path), schema };
}
