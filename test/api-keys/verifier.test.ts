import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ApiKeyEvent } from '../../src/api-keys/events.js';
import { formatApiKey, generateApiKey, parseApiKey } from '../../src/api-keys/format.js';
import { createApiKeys } from '../../src/api-keys/index.js';
import { VerifiedCredentialCache } from '../../src/registry/credential-cache.js';
import { databaseVariants } from '../helpers/databases.js';
import { ApiKeyFixture, CACHE_TTL_MS, DAY_MS, START, median, timings, API, registryOf } from './fixture.js';

for (const variant of databaseVariants) {
  describe(`API keys: verification (${variant.kind})`, { skip: variant.skip }, () => {
    const fixture = new ApiKeyFixture(variant.kind);
    before(() => fixture.open());
    after(() => fixture.close());
    beforeEach(() => fixture.reset());

    it('a new key verifies as active with its tenant and scopes', async () => {
      const { keys, verifier } = fixture.process();
      const { apiKey, key } = await keys.create({ resources: [API], tenant: 'acme', name: 'export', scopes: ['invoices:read', 'invoices:write'] });
      assert.deepEqual(await verifier.verifyApiKey(key), {
        active: true,
        id: apiKey.id,
        tenantId: fixture.acme.id,
        tenant: 'acme',
        scopes: ['invoices:read', 'invoices:write'],
        audiences: [API],
        expiresAt: START + 90 * DAY_MS,
      });
      // Again, now from the verified-credential cache: same answer.
      assert.equal((await verifier.verifyApiKey(key)).active, true);
    });

    it('createApiKeys wires repository, verifier and last-used recorder as the server will', async () => {
      const events: ApiKeyEvent[] = [];
      const { knex } = fixture.database;
      const apiKeys = createApiKeys(knex, registryOf(fixture.database), {
        credentials: new VerifiedCredentialCache('factory-test-secret', { ttlSeconds: 60 }),
        onEvent: (event) => events.push(event),
      });
      const { apiKey, key } = await apiKeys.keys.create({ resources: [API], tenant: 'acme', name: 'wired', scopes: ['read'] });
      assert.equal((await apiKeys.verifier.verifyApiKey(key)).active, true);
      assert.equal((await apiKeys.verifier.verifyApiKey(key.slice(0, -1) + (key.endsWith('0') ? '1' : '0'))).active, false);
      await apiKeys.verifier.stop();
      assert.notEqual((await fixture.row(apiKey.id)).last_used_at, null);
      assert.deepEqual(events.map((event) => event.type), ['api_key.created', 'api_key.verification_failed']);
    });

    it('a typo, truncation or 100 KB of input is malformed: refused with no database query and no argon2', async () => {
      const { keys, verifier, events } = fixture.process();
      const { key } = await keys.create({ resources: [API], tenant: 'acme', name: 'export', scopes: [] });
      const typo = key.slice(0, 30) + (key[30] === 'A' ? 'B' : 'A') + key.slice(31);
      const inputs: unknown[] = [typo, key.slice(0, -1), `tg_live_${'A'.repeat(100_000)}`, '', undefined, 42, { key }];
      const { result, queries } = await fixture.countQueries(() => Promise.all(inputs.map((input) => verifier.verifyApiKey(input))));
      assert.deepEqual(result, inputs.map(() => ({ active: false, reason: 'malformed' })));
      assert.deepEqual(queries, []);
      const [malformedMs] = await timings(1, () => Promise.all(Array.from({ length: 200 }, () => verifier.verifyApiKey(typo))));
      assert.ok(malformedMs! < 50, `200 malformed keys took ${malformedMs} ms: argon2 must not run`);
      assert.deepEqual(events.at(-1), { type: 'api_key.verification_failed', reason: 'malformed' });
    });

    it('the right id with a wrong secret is inactive (wrong_secret), and the audit event carries no secret', async () => {
      const { keys, verifier, events } = fixture.process();
      const { apiKey, key } = await keys.create({ resources: [API], tenant: 'acme', name: 'export', scopes: [] });
      assert.equal((await verifier.verifyApiKey(key)).active, true);
      const forged = formatApiKey({ env: 'live', id: apiKey.id, secret: generateApiKey().secret });
      assert.deepEqual(await verifier.verifyApiKey(forged), { active: false, reason: 'wrong_secret' });
      assert.deepEqual(events.at(-1), { type: 'api_key.verification_failed', reason: 'wrong_secret', apiKeyId: apiKey.id, tenantId: fixture.acme.id });
      const logged = JSON.stringify(events);
      assert.ok(!logged.includes(parseApiKey(forged)!.secret) && !logged.includes(parseApiKey(key)!.secret));
    });

    it('an unknown id, or a live key relabelled as test, is inactive (unknown)', async () => {
      const { keys, verifier } = fixture.process();
      const { key } = await keys.create({ resources: [API], tenant: 'acme', name: 'export', scopes: [] });
      assert.deepEqual(await verifier.verifyApiKey(generateApiKey().key), { active: false, reason: 'unknown' });
      const relabelled = formatApiKey({ ...parseApiKey(key)!, env: 'test' });
      assert.deepEqual(await verifier.verifyApiKey(relabelled), { active: false, reason: 'unknown' });
    });

    it('revocation takes effect at once in this process, even for a key verified (and cached) a moment ago', async () => {
      const { keys, verifier } = fixture.process();
      const { apiKey, key } = await keys.create({ resources: [API], tenant: 'acme', name: 'export', scopes: [] });
      assert.equal((await verifier.verifyApiKey(key)).active, true);
      await keys.revoke(apiKey.id);
      assert.deepEqual(await verifier.verifyApiKey(key), { active: false, reason: 'revoked' });
      // A revoked key presented with a wrong secret is someone guessing, and says so.
      const forged = formatApiKey({ env: 'live', id: apiKey.id, secret: generateApiKey().secret });
      assert.deepEqual(await verifier.verifyApiKey(forged), { active: false, reason: 'wrong_secret' });
    });

    it('another process sees a revocation within the read cache TTL', async () => {
      const server = fixture.process(fixture.connect());
      const cli = fixture.process();
      const { apiKey, key } = await cli.keys.create({ resources: [API], tenant: 'acme', name: 'export', scopes: [] });
      assert.equal((await server.verifier.verifyApiKey(key)).active, true);
      await cli.keys.revoke(apiKey.id);
      fixture.clock.now += CACHE_TTL_MS + 1;
      assert.deepEqual(await server.verifier.verifyApiKey(key), { active: false, reason: 'revoked' });
    });

    it('a key stops working at its expiry; a "never" key does not expire', async () => {
      const { keys, verifier } = fixture.process();
      const hourly = await keys.create({ resources: [API], tenant: 'acme', name: 'hourly', scopes: [], expiresIn: '1h' });
      const forever = await keys.create({ resources: [API], tenant: 'acme', name: 'forever', scopes: [], expiresIn: 'never' });
      fixture.clock.now = START + 3_600_000 - 1;
      assert.equal((await verifier.verifyApiKey(hourly.key)).active, true);
      fixture.clock.now = START + 3_600_000;
      assert.deepEqual(await verifier.verifyApiKey(hourly.key), { active: false, reason: 'expired' });
      fixture.clock.now = START + 20 * 365 * DAY_MS;
      assert.deepEqual(await verifier.verifyApiKey(forever.key), {
        active: true,
        id: forever.apiKey.id,
        tenantId: fixture.acme.id,
        tenant: 'acme',
        scopes: [],
        audiences: [API],
        expiresAt: null,
      });
    });

    it('after a rotation both keys work during the overlap, then only the new one', async () => {
      const { keys, verifier } = fixture.process();
      const old = await keys.create({ resources: [API], tenant: 'acme', name: 'partner', scopes: ['a'] });
      assert.equal((await verifier.verifyApiKey(old.key)).active, true);
      const rotated = await keys.rotate(old.apiKey.id, { overlap: 600 });
      assert.equal((await verifier.verifyApiKey(old.key)).active, true);
      assert.equal((await verifier.verifyApiKey(rotated.key)).active, true);
      fixture.clock.now += 600_000;
      assert.deepEqual(await verifier.verifyApiKey(old.key), { active: false, reason: 'expired' });
      assert.equal((await verifier.verifyApiKey(rotated.key)).active, true);
    });

    it('a rotation with no overlap stops the old key at once', async () => {
      const { keys, verifier } = fixture.process();
      const old = await keys.create({ resources: [API], tenant: 'acme', name: 'partner', scopes: [] });
      assert.equal((await verifier.verifyApiKey(old.key)).active, true);
      const rotated = await keys.rotate(old.apiKey.id, { overlap: 0 });
      assert.deepEqual(await verifier.verifyApiKey(old.key), { active: false, reason: 'expired' });
      assert.equal((await verifier.verifyApiKey(rotated.key)).active, true);
    });

    it('an unknown id costs an argon2 verification, like a wrong secret (timing does not reveal which ids exist)', async () => {
      const { keys, verifier } = fixture.process();
      const { apiKey } = await keys.create({ resources: [API], tenant: 'acme', name: 'export', scopes: [] });
      const wrongSecret = formatApiKey({ env: 'live', id: apiKey.id, secret: generateApiKey().secret });
      const unknownId = generateApiKey().key;
      // Warm up: the decoy hash is computed on first use, and the row read is cached after it.
      await verifier.verifyApiKey(unknownId);
      await verifier.verifyApiKey(wrongSecret);
      const unknownMs = median(await timings(8, () => verifier.verifyApiKey(unknownId)));
      const wrongMs = median(await timings(8, () => verifier.verifyApiKey(wrongSecret)));
      const malformedMs = median(await timings(8, () => verifier.verifyApiKey(`${unknownId.slice(0, -1)}!`)));
      const ratio = unknownMs / wrongMs;
      assert.ok(ratio > 0.4 && ratio < 2.5, `unknown id ${unknownMs.toFixed(1)} ms vs wrong secret ${wrongMs.toFixed(1)} ms`);
      assert.ok(malformedMs < wrongMs / 5, `malformed ${malformedMs.toFixed(2)} ms vs wrong secret ${wrongMs.toFixed(1)} ms`);
    });
  });
}
