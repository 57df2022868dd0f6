// Lint guards the zones (design.md §2, docs/architecture.md "Zones"). From the bottom:
//   core ← tools ← activities ← workflows ← client / worker
// core and tool contracts are bundled into Temporal's workflow sandbox with the workflows,
// so they must not reach Node, the network or the worker; tool handlers are worker-only.
// Each zone may import only from the zones below it; nothing outside test/ imports test/.
import tseslint from 'typescript-eslint';

/** Matches a relative import that lands in one of `folders` (top-level paths such as
 * `activities` or `tools/handlers`), from any depth: `../activities/x.ts`, `../../worker`. */
const into = (...folders) => `^(\\.\\.?/)+(${folders.join('|')})(/|$)`;

const noTest = {
  regex: into('test'),
  message: 'Only tests import test/: shared test tooling lives in testing/, demos in examples/.',
};

const sandboxOnly = [
  { group: ['node:*'], message: 'Sandbox zone: no Node built-ins (do I/O in an activity).' },
  {
    group: [
      'fs',
      'fs/*',
      'path',
      'os',
      'crypto',
      'child_process',
      'http',
      'https',
      'net',
      'worker_threads',
      'stream',
      'url',
      'util',
      'events',
    ],
    message: 'Sandbox zone: no Node built-ins (do I/O in an activity).',
  },
  {
    group: ['openai', 'openai/*', '@anthropic-ai/*'],
    message: 'Sandbox zone: provider SDKs belong in activities/model/.',
  },
  {
    group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing'],
    message: 'Sandbox zone: only @temporalio/workflow and @temporalio/common are allowed here.',
  },
];

/** One `no-restricted-imports` setting per zone: a later config replaces an earlier one's
 * options for the same file, so each zone lists everything it forbids. */
const restrict = (...patterns) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns: [...patterns, noTest] }],
});

export default tseslint.config(
  // examples/consumer is a project of its own (it imports the packed `bosun`, outside this
  // tsconfig): consumer-package.test.ts typechecks it against the shipped declarations.
  {
    ignores: [
      'node_modules/**',
      '.bosun/**',
      'coverage/**',
      'dist/**',
      'test/replay/histories/**',
      'examples/consumer/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // Type-aware rules: a promise nobody awaits loses its errors (and, in a workflow, its
  // ordering). The project service reuses tsconfig.json, which includes every .ts file.
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  // Everything outside test/ (bench/, examples/, testing/, root files), unless a zone below says more.
  { files: ['**/*.{ts,js}'], ignores: ['test/**'], rules: restrict() },
  {
    files: ['core/**/*.ts'],
    rules: restrict(...sandboxOnly, {
      regex: into('tools', 'activities', 'workflows', 'worker', 'client'),
      message: 'core/ is the bottom zone: it imports no other Bosun folder, not even types.',
    }),
  },
  {
    files: ['tools/contracts/**/*.ts', 'tools/*.ts', 'tools/mcp/**/*.ts'],
    rules: restrict(
      ...sandboxOnly,
      { regex: into('activities', 'workflows', 'worker', 'client'), message: 'tools/ imports only core/ and tools/.' },
      {
        regex: `${into('tools/handlers')}|^\\.\\./handlers/|^\\./handlers/`,
        message: 'Tool contracts are sandbox-safe: import handler *types* only.',
        allowTypeImports: true,
      },
    ),
  },
  {
    files: ['tools/handlers/**/*.ts'],
    rules: restrict({
      regex: into('activities', 'workflows', 'worker', 'client'),
      message: 'tools/ imports only core/ and tools/; the worker injects implementations (e.g. the Retriever).',
    }),
  },
  {
    files: ['activities/**/*.ts'],
    rules: restrict(
      {
        regex: into('worker', 'client'),
        message: 'activities/ never imports worker/ or client/: the worker injects what activities need.',
      },
      { regex: into('workflows'), message: 'activities/ may import workflow *types* only.', allowTypeImports: true },
    ),
  },
  {
    files: ['workflows/**/*.ts'],
    rules: restrict(...sandboxOnly, {
      regex: into('activities', 'worker', 'client', 'tools/handlers'),
      message: 'Sandbox zone: import activity *types* only.',
      allowTypeImports: true,
    }),
  },
  {
    files: ['client/**/*.ts'],
    rules: restrict(
      {
        regex: into('worker', 'activities', 'tools/handlers'),
        message: 'client/ depends on core/ and workflow definitions only, never on the worker side.',
      },
      {
        regex: `${into('workflows')}(?!definitions\\.ts$)`,
        message: 'client/ imports workflows/definitions.ts only (names and message definitions).',
      },
    ),
  },
  {
    files: ['worker/**/*.ts'],
    rules: restrict(
      {
        regex: into('client'),
        message: 'worker/ never imports client/: code that drives both belongs in examples/.',
      },
      {
        regex: `${into('api')}(?!auth/)`,
        message: 'worker/ may import api/auth/ only (the codec server verifies the same tokens).',
      },
    ),
  },
  // The HTTP API sits on the client: it never reaches into the worker side.
  {
    files: ['api/**/*.ts'],
    rules: restrict(
      {
        regex: into('worker', 'activities', 'tools/handlers'),
        message: 'api/ serves over the client: it never imports the worker side.',
      },
      {
        regex: `${into('workflows')}(?!definitions\\.ts$)`,
        message: 'api/ imports workflows/definitions.ts only (names and message definitions).',
      },
    ),
  },
  // Authentication is shared with the codec server (worker/): it depends on core/ only.
  {
    files: ['api/auth/**/*.ts'],
    rules: restrict({
      regex: into('client', 'worker', 'activities', 'workflows', 'tools'),
      message: 'api/auth/ is shared with the worker side: it imports core/ only.',
    }),
  },
);
