import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignIn, UserRepository } from '../../src/users/index.js';
import { databaseVariants } from '../helpers/databases.js';
import { seedMachineClient, startTestServer, type TestServer } from '../helpers/server.js';
import { adminSession, type AdminSession } from './fixture.js';

const PASSWORD = 'correct horse battery staple';

for (const variant of databaseVariants) {
  describe(`admin API, users with a global admin token (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;
    let users: UserRepository;
    let signIn: SignIn;
    let acmeId: string;

    before(async () => {
      server = await startTestServer(variant.kind);
      await seedMachineClient(server);
      admin = await adminSession(server);
      users = new UserRepository(server.database.knex, server.registry.tenants);
      signIn = new SignIn(users, undefined);
      acmeId = (await server.registry.tenants.findBySlug('acme'))!.id;
    });
    after(() => server?.stop());

    const signsIn = async (email: string, password: string) =>
      (await signIn.attempt({ tenantId: acmeId, email, password, ip: '192.0.2.1' })).ok;

    test('create with a password: it verifies against the stored hash; the answer holds neither password nor hash', async () => {
      const created = await admin.call('POST', '/users', { tenant: 'acme', email: 'Ada@Acme.test', password: PASSWORD, roles: ['editor'] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body['email'], 'ada@acme.test');
      assert.equal(created.body['tenant_slug'], 'acme');
      assert.deepEqual(created.body['roles'], ['editor']);
      assert.equal(created.body['enabled'], true);
      assert.equal(created.body['password'], undefined);
      assert.doesNotMatch(JSON.stringify(created.body), /passwordHash|password_hash|argon2|correct horse/);
      assert.equal(await signsIn('ada@acme.test', PASSWORD), true);
      assert.equal(await signsIn('ada@acme.test', 'wrong password'), false);
      assert.equal((await admin.call('POST', '/users', { tenant: 'acme', email: 'ada@acme.test', password: PASSWORD })).status, 409);
    });

    test('create without a password: one is generated, shown in this answer only, and it is the one stored', async () => {
      const created = await admin.call('POST', '/users', { tenant: 'acme', email: 'grace@acme.test' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const password = String(created.body['password']);
      assert.ok(password.length >= 32, 'a long random password');
      assert.equal(await signsIn('grace@acme.test', password), true);

      const id = String(created.body['id']);
      const read = await admin.call('GET', `/users/${id}`);
      assert.equal(read.status, 200);
      assert.equal(read.body['email'], 'grace@acme.test');
      const listed = await admin.call('GET', '/users?tenant=acme');
      assert.deepEqual(listed.body.data!.map((user) => user['email']), ['ada@acme.test', 'grace@acme.test']);
      for (const answer of [read, listed]) {
        assert.ok(!JSON.stringify(answer.body).includes(password), 'the generated password is shown once');
        assert.doesNotMatch(JSON.stringify(answer.body), /"password"|passwordHash|argon2/);
      }
    });

    test('disable refuses sign-in, enable restores it; both are audited with the admin as actor and no hash', async () => {
      const created = await admin.call('POST', '/users', { tenant: 'acme', email: 'linus@acme.test', password: PASSWORD });
      const id = String(created.body['id']);
      const disabled = await admin.call('POST', `/users/${id}/disable`);
      assert.equal(disabled.status, 200);
      assert.equal(disabled.body['enabled'], false);
      assert.equal(Boolean((await server.database.knex('users').where({ id }).first()).enabled), false);
      assert.equal(await signsIn('linus@acme.test', PASSWORD), false);
      assert.equal((await admin.call('POST', `/users/${id}/enable`)).body['enabled'], true);
      assert.equal(await signsIn('linus@acme.test', PASSWORD), true);

      await server.audit.settled();
      const events = await admin.call('GET', `/audit-events?subject=${id}`);
      assert.deepEqual(events.body.data!.map((event) => [event['type'], event['actor']]), [
        ['user.enabled', admin.clientId],
        ['user.disabled', admin.clientId],
        ['user.created', admin.clientId],
      ]);
      const rows = JSON.stringify(await server.database.knex('audit_events').where('type', 'like', 'user.%'));
      assert.doesNotMatch(rows, /argon2|password|correct horse/i);
      assert.equal((await admin.call('POST', '/users/no-such-user/disable')).status, 404);
    });

    test('unknown or server-owned fields are 400 naming the field; a short password is 400', async () => {
      for (const body of [
        { tenant: 'acme', email: 'x@acme.test', password_hash: 'x' },
        { tenant: 'acme', email: 'x@acme.test', enabled: false },
        { tenant: 'acme', email: 'x@acme.test', password: 'short' },
        { tenant: 'acme', email: 'not-an-email' },
      ]) {
        const answer = await admin.call('POST', '/users', body);
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.equal(answer.body['error'], 'invalid_request');
      }
      assert.equal((await admin.call('POST', '/users', { tenant: 'acme', email: 'x@acme.test', id: 'mine' })).body['error_description'], 'id is not a recognised field');
      assert.equal(await users.findByEmail(acmeId, 'x@acme.test'), undefined);
      assert.equal((await admin.call('POST', '/users', { email: 'x@acme.test' })).status, 400, 'a global admin names the tenant');
    });

    test('Idempotency-Key: a retried create returns the first answer (same generated password) and makes one user', async () => {
      const body = { tenant: 'acme', email: 'retry@acme.test', roles: ['viewer'] };
      const first = await admin.call('POST', '/users', body, { 'idempotency-key': 'user-1' });
      assert.equal(first.status, 201);
      const retry = await admin.call('POST', '/users', body, { 'idempotency-key': 'user-1' });
      assert.equal(retry.status, 201);
      assert.equal(retry.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(retry.body, first.body);
      assert.equal((await server.database.knex('users').where({ email: 'retry@acme.test' })).length, 1);
      assert.equal((await admin.call('POST', '/users', { ...body, roles: [] }, { 'idempotency-key': 'user-1' })).status, 409);
      const stored = JSON.stringify(await server.database.knex('admin_idempotency_keys').select('*'));
      assert.ok(!stored.includes(String(first.body['password'])), 'the stored answer is sealed');
    });
  });
}
