import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The zone rules of eslint.config.js, proved on snippets: each zone rejects an import that
 * crosses its boundary and accepts one that does not. The snippets are linted as if they
 * were files in the zone (`filePath`); nothing is written to disk.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
// Import rules need no type information; linting untyped keeps this test fast and lets the
// probe files not exist (the typed rules would look them up in the TypeScript project).
const eslint = new ESLint({
  cwd: root,
  overrideConfig: {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: false, project: null } },
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
});

async function zoneErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  expect(result!.messages.filter((m) => m.fatal)).toEqual([]);
  return result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

const rejected: [zone: string, file: string, code: string, message: RegExp][] = [
  [
    'core',
    'core/probe.ts',
    `import type { BosunActivities } from '../activities/index.ts';`,
    /core\/ is the bottom zone/,
  ],
  [
    'core',
    'core/probe.ts',
    `import type { ToolContract } from '../tools/define-tool.ts';`,
    /core\/ is the bottom zone/,
  ],
  ['core', 'core/probe.ts', `import { readFile } from 'node:fs/promises';`, /no Node built-ins/],
  [
    'tool contracts',
    'tools/contracts/probe.ts',
    `import type { Retriever } from '../../activities/retrieval/sqlite-retriever.ts';`,
    /tools\/ imports only core\//,
  ],
  [
    'tool contracts',
    'tools/contracts/probe.ts',
    `import { searchDocsTool } from '../handlers/search-docs.ts';`,
    /handler \*types\* only/,
  ],
  ['tool contracts', 'tools/catalog-probe.ts', `import { openai } from 'openai';`, /provider SDKs/],
  [
    'tool handlers',
    'tools/handlers/probe.ts',
    `import { buildMemoryRetriever } from '../../activities/retrieval/sqlite-retriever.ts';`,
    /worker injects implementations/,
  ],
  [
    'tool handlers',
    'tools/handlers/probe.ts',
    `import type { WorkerConfig } from '../../worker/config.ts';`,
    /tools\/ imports only core\//,
  ],
  [
    'activities',
    'activities/probe.ts',
    `import { agentRun } from '../workflows/agent-run.ts';`,
    /workflow \*types\* only/,
  ],
  [
    'activities',
    'activities/model/probe.ts',
    `import type { WorkerConfig } from '../../worker/config.ts';`,
    /never imports worker\/ or client\//,
  ],
  [
    'activities',
    'activities/probe.ts',
    `import { connectBosunClient } from '../client/client.ts';`,
    /never imports worker\/ or client\//,
  ],
  [
    'workflows',
    'workflows/probe.ts',
    `import { createActivities } from '../activities/index.ts';`,
    /activity \*types\* only/,
  ],
  ['client', 'client/probe.ts', `import { loadWorkerConfig } from '../worker/config.ts';`, /never on the worker side/],
  [
    'client',
    'client/probe.ts',
    `import type { BosunActivities } from '../activities/index.ts';`,
    /never on the worker side/,
  ],
  [
    'client',
    'client/probe.ts',
    `import { agentRun } from '../workflows/agent-run.ts';`,
    /workflows\/definitions\.ts only/,
  ],
  ['worker', 'worker/probe.ts', `import { connectBosunClient } from '../client/client.ts';`, /belongs in examples\//],
  [
    'worker',
    'worker/codec/probe.ts',
    `import type { BosunClient } from '../../client/client.ts';`,
    /belongs in examples\//,
  ],
  [
    'api',
    'api/probe.ts',
    `import { createBosunWorker } from '../worker/create-worker.ts';`,
    /never imports the worker side/,
  ],
  ['api', 'api/routes/probe.ts', `import { agentRun } from '../../workflows/agent-run.ts';`, /definitions\.ts only/],
  [
    'api auth',
    'api/auth/probe.ts',
    `import type { BosunClient } from '../../client/client.ts';`,
    /imports core\/ only/,
  ],
  ['worker', 'worker/probe.ts', `import { createApiServer } from '../api/server.ts';`, /api\/auth\/ only/],
  [
    'outside test/',
    'examples/demo/probe.ts',
    `import { startFakeOpenAI } from '../../test/kit/index.ts';`,
    /Only tests import test\//,
  ],
  [
    'outside test/',
    'bench/probe.ts',
    `import { harness } from '../test/helpers/harness.ts';`,
    /Only tests import test\//,
  ],
  [
    'outside test/',
    'worker/probe.ts',
    `import type { FakeReply } from '../test/kit/index.ts';`,
    /Only tests import test\//,
  ],
  [
    'outside test/',
    'core/probe.ts',
    `import type { FakeReply } from '../test/kit/index.ts';`,
    /Only tests import test\//,
  ],
];

const allowed: [zone: string, file: string, code: string][] = [
  [
    'api',
    'api/routes/probe.ts',
    `import { connectBosunClient } from '../../client/client.ts';\nimport { searchAttributes } from '../../workflows/definitions.ts';\nimport { checkToolInput } from '../../tools/define-tool.ts';`,
  ],
  [
    'api auth',
    'api/auth/probe.ts',
    `import { jwtVerify } from 'jose';\nimport { formatIssues } from '../../core/zod-issues.ts';`,
  ],
  ['worker', 'worker/probe.ts', `import { createJwtAuthenticator } from '../api/auth/jwt-authenticator.ts';`],
  ['core', 'core/probe.ts', `import { z } from 'zod';\nimport type { Usage } from './usage.ts';`],
  [
    'tool contracts',
    'tools/contracts/probe.ts',
    `import { z } from 'zod';\nimport type { Retriever } from '../../core/retrieval.ts';\nimport type { ToolHandler } from '../handlers/types.ts';`,
  ],
  [
    'tool handlers',
    'tools/handlers/probe.ts',
    `import { readFile } from 'node:fs/promises';\nimport type { Retriever } from '../../core/retrieval.ts';\nimport { calculator } from '../contracts/calculator.ts';`,
  ],
  [
    'activities',
    'activities/probe.ts',
    `import type { AgentRunHandle } from '../workflows/definitions.ts';\nimport { registerTool } from '../tools/handlers/types.ts';\nimport { usageSchema } from '../core/usage.ts';`,
  ],
  [
    'workflows',
    'workflows/probe.ts',
    `import type { BosunActivities } from '../activities/index.ts';\nimport { toolCatalog } from '../tools/catalog.ts';`,
  ],
  [
    'client',
    'client/probe.ts',
    `import { workflowNames } from '../workflows/definitions.ts';\nimport { toolCatalog } from '../tools/catalog.ts';\nimport { Client } from '@temporalio/client';`,
  ],
  [
    'worker',
    'worker/probe.ts',
    `import { createActivities } from '../activities/index.ts';\nimport { builtInTools } from './built-in-tools.ts';\nimport { Client } from '@temporalio/client';`,
  ],
  [
    'examples',
    'examples/demo/probe.ts',
    `import { connectBosunClient } from '../../client/client.ts';\nimport { createBosunWorker } from '../../worker/create-worker.ts';\nimport { startFakeOpenAI } from '../../testing/index.ts';`,
  ],
  [
    'test',
    'test/unit/probe.test.ts',
    `import { startFakeOpenAI } from '../kit/index.ts';\nimport { connectHarness } from '../helpers/harness.ts';`,
  ],
];

describe('zone lint rules', () => {
  it.each(rejected)('%s: rejects %s importing across its boundary (%#)', async (_zone, file, code, message) => {
    const errors = await zoneErrors(file, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it.each(allowed)('%s: accepts imports from the zones below it (%s)', async (_zone, file, code) => {
    expect(await zoneErrors(file, code)).toEqual([]);
  });
});
