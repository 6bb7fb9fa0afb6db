import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TollgateError } from '../../src/errors.js';
import { cliFor } from '../helpers/cli.js';
import { databaseVariants } from '../helpers/databases.js';
import { API, seedMachineClient, startTestServer, type TestServer } from '../helpers/server.js';
import { clientKey } from '../proof-of-possession/key-clients.js';

for (const variant of databaseVariants) {
  describe(`a client JWKS with control characters is refused (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let dir: string;
    before(async () => {
      server = await startTestServer(variant.kind);
      await seedMachineClient(server);
      dir = mkdtempSync(join(tmpdir(), 'tollgate-jwks-'));
    });
    after(async () => {
      rmSync(dir, { recursive: true, force: true });
      await server?.stop();
    });
    const { tollgate } = cliFor(() => server);

    const tainted = async () => {
      const { publicJwk } = await clientKey();
      return [
        { ...publicJwk, kid: 'line\nbreak' },
        { ...publicJwk, kid: 'bell\u0007' },
        { ...publicJwk, x5c: ['MIIB\u001b[31m'] },
        { ...publicJwk, 'x\u0001': 'y' },
        { ...publicJwk, kid: 'c1\u0085' },
      ];
    };

    test('through the registry (the admin API and the CLI share it): 400 invalid_request naming the member', async () => {
      for (const key of await tainted()) {
        await assert.rejects(
          server.registry.clients.create({ name: 'signer', tenant: 'acme', resources: [API], scopes: ['read:projects'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key] } }),
          (error: unknown) => error instanceof TollgateError && error.status === 400 && error.error === 'invalid_request' && /control character/.test(error.message),
          JSON.stringify(key),
        );
      }
      assert.equal(await server.database.knex('clients').where({ name: 'signer' }).first(), undefined);
    });

    test('tollgate clients create --jwks-file exits non-zero with the reason', async () => {
      const [key] = await tainted();
      const file = join(dir, 'jwks.json');
      writeFileSync(file, JSON.stringify({ keys: [key] }));
      const result = await tollgate('clients', 'create', '--name', 'signer', '--tenant', 'acme', '--resource', API, '--scopes', 'read:projects',
        '--auth', 'private_key_jwt', '--jwks-file', file);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /jwks key member kid holds a control character/);
    });
  });
}
