import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { agentDefinitionSchema, type AgentDefinition } from '../core/run.ts';
import { issueLines } from '../core/zod-issues.ts';

/**
 * Agents a suite defines beside the catalog's (`<suite>.agents.json`, or `--agents`): whole
 * agent definitions as plain data — tools by the catalog's names, inline instructions or a
 * prompt template, retrieval settings — for what a suite measures that the catalog has no
 * agent for (the shipped suite's `handbook`: retrieval-augmented answers, where context
 * curation shows). Runs start with the definition itself, as every eval run does; a name the
 * catalog defines too is refused rather than silently shadowed.
 *
 * @example
 * [{ "name": "handbook", "instructions": "Answer from the documents given.",
 *    "model": { "provider": "openai", "name": "gpt-4.1-mini" }, "retrieval": { "k": 3 } }]
 */
const suiteAgentsSchema = z.array(agentDefinitionSchema).min(1);

/** A suite agents file that is not a list of valid agent definitions (bad input: exit 2). */
export class SuiteAgentsError extends Error {
  override readonly name = 'SuiteAgentsError';
}

export function loadSuiteAgents(file: string): AgentDefinition[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SuiteAgentsError(`${file}: ${(err as Error).message}`);
  }
  const parsed = suiteAgentsSchema.safeParse(json);
  if (!parsed.success) throw new SuiteAgentsError(`${file}: ${issueLines(parsed.error, { root: '(agents)' })[0]}`);
  const names = parsed.data.map((a) => a.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new SuiteAgentsError(`${file}: two agents are named "${dup}"`);
  return parsed.data;
}
