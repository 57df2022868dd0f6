// Lint guards the sandbox boundary (design.md §2): code bundled into Temporal's workflow
// sandbox, and the pure domain it shares, must not reach Node, the network or the worker.
import tseslint from 'typescript-eslint';

const sandboxForbidden = {
  patterns: [
    { group: ['node:*'], message: 'Sandbox zone: no Node built-ins (do I/O in an activity).' },
    {
      group: ['fs', 'fs/*', 'path', 'os', 'crypto', 'child_process', 'http', 'https', 'net', 'worker_threads', 'stream', 'url', 'util', 'events'],
      message: 'Sandbox zone: no Node built-ins (do I/O in an activity).',
    },
    { group: ['openai', 'openai/*', '@anthropic-ai/*'], message: 'Sandbox zone: provider SDKs belong in activities/model/.' },
    {
      group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing'],
      message: 'Sandbox zone: only @temporalio/workflow and @temporalio/common are allowed here.',
    },
    { group: ['**/activities/*', '**/worker/*', '**/client/*', '**/tools/handlers/*'], message: 'Sandbox zone: import activity *types* only.', allowTypeImports: true },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', '.bosun/**', 'coverage/**', 'dist/**', 'test/replay/histories/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['core/**/*.ts', 'workflows/**/*.ts', 'tools/contracts/**/*.ts', 'tools/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', sandboxForbidden] },
  },
);
