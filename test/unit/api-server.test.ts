import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BosunClient } from '../../client/client.ts';
import { startDevAuth, type DevAuth } from '../../api/auth/dev-auth.ts';
import { createApiServer } from '../../api/server.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** What needs no Temporal: static console files, authentication, errors, the document. */
let auth: DevAuth;
beforeAll(async () => {
  auth = await startDevAuth({ stateDir: tempDir('bosun-api-unit-') });
});
const noBosun = {} as BosunClient;

describe('API server without Temporal', () => {
  it('serves the console folder at / and keeps /api/v1 for the API', async () => {
    const consoleDir = tempDir('bosun-console-');
    writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>Bosun</title>');
    writeFileSync(join(consoleDir, 'app.js'), 'console.log(1)');
    const app = createApiServer({ bosun: noBosun, auth: auth.authenticator, consoleDir });
    const index = await app.request('/');
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<title>Bosun</title>');
    expect((await app.request('/app.js')).headers.get('content-type')).toMatch(/javascript/);
    const api = await app.request('/api/v1/nothing');
    expect(api.status).toBe(401);
    const unknown = await app.request('/api/v1/nothing', {
      headers: { authorization: `Bearer ${auth.tokens[0]!.token}` },
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'not_found', message: 'no route GET /api/v1/nothing' });
  });

  it('prints the development tokens it wrote, one per dev user, each verifying as its user', async () => {
    expect(auth.tokens.map((t) => [t.user, t.tenant, t.groups])).toEqual([
      ['alice', 'acme', ['support']],
      ['bob', 'acme', ['support-leads']],
      ['mallory', 'globex', ['support']],
    ]);
    for (const t of auth.tokens)
      expect(await auth.authenticator.authenticate(`Bearer ${t.token}`)).toMatchObject({
        user: t.user,
        tenant: t.tenant,
      });
  });

  it('refuses a body that is not JSON, naming the content type', async () => {
    const app = createApiServer({ bosun: noBosun, auth: auth.authenticator });
    const res = await app.request('/api/v1/runs', {
      method: 'POST',
      headers: { authorization: `Bearer ${auth.tokens[0]!.token}`, 'content-type': 'text/plain' },
      body: 'hi',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: 'invalid_request',
      message: expect.stringMatching(/application\/json/),
    });
  });
});
