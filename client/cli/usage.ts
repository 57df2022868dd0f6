/**
 * The usage text: every command in one place, so `help` shows them all and a usage error
 * shows only the command that was mistyped (`commandUsage`), from the same words.
 */
import { builtInProviderIds, demoProviderProfile } from '../../core/providers/index.ts';
import { exampleProviderVariables } from '../example-agent.ts';
import { taskClassSchema } from '../../core/routing.ts';
import type { CommandName } from './command.ts';
import { defaultModel } from './start-options.ts';

/** One paragraph of the command list: the forms of one or more commands, then what they do. */
interface Entry {
  /** Each form's lines; a form starts with its command's name. */
  forms: string[][];
  about: string[];
}

const sections: { title?: string; entries: Entry[] }[] = [
  {
    title: 'Runs',
    entries: [
      {
        forms: [
          [
            'run [--agent agent.json] [--model provider/name | --routing file.json|example]',
            '    [--rag [--k N] [--min-score X] [--on-weak broaden|degrade|escalate]]',
            '    [--principal principal.json] [--output-schema schema.json]',
            '    [--run-id ID] [--wait] [--json] <task...>',
          ],
        ],
        about: [
          'start an agent run (the agentic loop); prints its run id (with',
          "--wait, then its outcome). --rag looks the task up in the worker's",
          'knowledge base first and gives the model the best N chunks (default 4);',
          'when none scores X or more, --on-weak decides (default degrade: answer',
          'that the knowledge base does not cover it)',
        ],
      },
      {
        forms: [
          [
            `task [--class ${taskClassSchema.options.join('|')}] [--instructions text]`,
            '     [--model provider/name | --routing file.json|example] [--output-schema schema.json]',
            '     [--run-id ID] [--wait] [--json] <input...>',
          ],
        ],
        about: [
          'one model call, no tools (single request/response, default class',
          'extract); prints its id (with --wait, then its outcome)',
        ],
      },
      {
        forms: [['status <runId> [--json]']],
        about: [
          'what a run is doing now: phase, step, tokens, pending work,',
          'approvals waiting and an open escalation',
        ],
      },
      {
        forms: [['result <runId> [--timeout seconds] [--json]']],
        about: [
          'wait for a run (or task) to end and print its outcome; with',
          '--timeout, give up after that many seconds (exit 3)',
        ],
      },
      { forms: [['audit <runId> [--json]']], about: ['every authorization and human decision of a run, in order'] },
      {
        forms: [['trace <runId> [--step N] [--detail] [--json]']],
        about: [
          'every attempt of every model call (model, route, prompt version,',
          'tokens, cost, latency, outcome) and tool call (arguments,',
          'authorization, approval, result) by step, read by a worker of the',
          "run's task queue; --detail adds the messages each call was sent",
        ],
      },
      { forms: [['cancel <runId>']], about: ['cancel a run; it stops cleanly, outcome "stopped (cancelled)"'] },
      {
        forms: [['watch <runId> [--from offset] [--json]']],
        about: [
          'follow a run live: the answer as it streams, steps, tool calls,',
          'decisions, the end; --from N starts at event offset N (to resume,',
          'the last offset seen + 1)',
        ],
      },
    ],
  },
  {
    title: 'Approvals (a tool call waiting for a human)',
    entries: [
      {
        forms: [['approvals [--limit N] [--json]']],
        about: [
          'the inbox across running runs, oldest request first (reads at most',
          'N runs, default 100); runs whose worker does not answer within 3 s',
          'are listed apart, as unreachable',
        ],
      },
      {
        forms: [
          ['approve <runId> <approvalId> --as ID [--groups g1,g2] [--comment text] [--async] [--json]'],
          ['reject <runId> <approvalId> --as ID [--groups g1,g2] --reason text [--async] [--json]'],
          ['edit <runId> <approvalId> --as ID [--groups g1,g2] --input JSON [--comment text] [--async] [--json]'],
        ],
        about: [
          'decide one; the run checks the decision (still pending, approver',
          'in the right group, edited input valid and authorized) and the',
          "command exits 1 with the run's reason if it refuses. --async sends",
          "it by signal without waiting for the run's answer",
        ],
      },
    ],
  },
  {
    title: 'Escalations (a run waiting for a human)',
    entries: [
      {
        forms: [['answer <runId> <escalationId> --as ID [--groups g1,g2] [--json] <text...>']],
        about: ['answer for the run; it ends with this answer'],
      },
      {
        forms: [['redirect <runId> <escalationId> --as ID [--groups g1,g2] [--json] <instruction...>']],
        about: ['give the run a new instruction; it carries on'],
      },
      {
        forms: [['end <runId> <escalationId> --as ID [--groups g1,g2] --reason text [--json]']],
        about: ['end the run, outcome "stopped (ended by human)"'],
      },
    ],
  },
  {
    title: 'Reports',
    entries: [
      {
        forms: [['stats [--since 24h|7d|90m|ISO date] [--agent name] [--json]']],
        about: [
          'over runs started in the window (default 24h): task success rate,',
          'latency p50/p95, timeout rate, cost per completed task, schema-',
          'validation success rate, escalation rate, retrieval quality',
        ],
      },
      {
        forms: [['mcp list [--timeout seconds] [--json]']],
        about: [
          "a worker's MCP servers: how each is reached, whether it is reachable",
          'from the worker, its tools with input schemas, scopes, effect and',
          'approval policy (asked of a running worker of the task queue; exit 1',
          'when a server is unreachable)',
        ],
      },
      {
        forms: [['forget <runId> --as ID [--json]']],
        about: [
          "erase a closed run's stored content (conversation, summaries, content",
          'by reference, trace records, blobs) and log the erasure; an open run',
          'is refused (exit 1)',
        ],
      },
      {
        forms: [['erasures [runId] [--limit n] [--json]']],
        about: ['the erasure log: who erased which run, when, why, how much'],
      },
    ],
  },
  { entries: [{ forms: [['help']], about: ['this text'] }] },
];

const notes = `Options for every command:
  --address host:port  Temporal frontend (env TEMPORAL_ADDRESS, default 127.0.0.1:7233)
  --namespace name     Temporal namespace (env TEMPORAL_NAMESPACE, default default)
  --task-queue name    the workers' task queue (env BOSUN_TASK_QUEUE, default bosun)

Without --agent the example support agent runs on --model (default ${defaultModel.provider}/${defaultModel.name});
with --agent, --model or --routing overrides the file's models. Providers: ${builtInProviderIds.join(', ')}.
--routing takes a JSON routing table ({ "tiers": { "strong": { "chain": [...] }, "cheap": ... } })
or "example": strong and cheap tiers over the providers whose keys are set here
(${exampleProviderVariables}; ${demoProviderProfile.id} when none is).
--output-schema takes a JSON Schema the answer must match; --principal a JSON principal
({ "tenant", "user", "scopes": [...], "roles": [...] }) the run acts for.
--as names the human deciding (recorded in the audit trail); --groups lists the groups
they belong to, which the run checks against the approval's group.

Exit codes: 0 done; 1 the run failed, escalated or looped, refused the decision, does not
exist, or Temporal could not be reached; 2 bad usage or input; 3 "result --timeout" passed
before the run ended.`;

/** Where the description column starts; a form short enough has its first line beside it. */
const aboutColumn = 23;

function renderEntry(forms: string[][], about: string[]): string[] {
  const lines = forms.flat().map((line) => `  ${line}`);
  const last = lines.length - 1;
  const [first, ...more] = about;
  if (first !== undefined && lines[last]!.length < aboutColumn - 1)
    lines[last] = lines[last]!.padEnd(aboutColumn) + first;
  else if (first !== undefined) more.unshift(first);
  return [...lines, ...more.map((line) => ' '.repeat(aboutColumn) + line)];
}

/** The whole usage text, what `help` prints. */
export const usage = [
  'Usage: bosun <command> [options]    (in the Bosun repository: npm run bosun -- <command>)',
  ...sections.map((s) =>
    [...(s.title ? [`${s.title}:`] : []), ...s.entries.flatMap((e) => renderEntry(e.forms, e.about))].join('\n'),
  ),
  notes,
].join('\n\n');

/** The usage of one command: its form and what it does, with a pointer to `help` for the rest. */
export function commandUsage(name: CommandName): string {
  for (const { entries } of sections) {
    for (const { forms, about } of entries) {
      const form = forms.find((f) => f[0]!.split(' ')[0] === name);
      if (form)
        return [`Usage of "${name}" (bosun help for every command and option):`, ...renderEntry([form], about)].join(
          '\n',
        );
    }
  }
  return usage;
}
