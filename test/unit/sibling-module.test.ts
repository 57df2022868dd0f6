import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { workflowsPath } from '../../worker/bundle.ts';
import { failureConverterPath } from '../../worker/codec/data-converter.ts';
import { siblingModule } from '../../worker/sibling-module.ts';

describe('siblingModule', () => {
  it('names the sibling with the extension of the module asking: .ts from source, .js from dist', () => {
    expect(siblingModule('../workflows/index', 'file:///app/worker/bundle.ts')).toBe('/app/workflows/index.ts');
    expect(siblingModule('../workflows/index', 'file:///app/node_modules/bosun/dist/worker/bundle.js')).toBe(
      '/app/node_modules/bosun/dist/workflows/index.js',
    );
  });

  it('gives the bundler paths of modules that exist (run from source)', () => {
    expect(workflowsPath).toMatch(/workflows\/index\.ts$/);
    expect(existsSync(workflowsPath)).toBe(true);
    expect(existsSync(failureConverterPath)).toBe(true);
  });
});
