import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { seedApps } from '../authcode/fixture.js';
import { databaseVariants } from '../helpers/databases.js';
import { postForm, seedMachineClient, useSeededServer } from '../helpers/server.js';
import { clientKey, seedClient } from '../proof-of-possession/key-clients.js';
import { median, probabilityAtLeastAsFast } from './rank-test.js';

const sqlite = databaseVariants[0]!;

/** Interleaved rounds: every kind of refusal is timed once per round, so load on the machine falls on all alike. */
const ROUNDS = 15;
/**
 * A kind of refusal "answers faster" only when both hold: the rank test
 * finds it faster than a wrong secret at this significance, and its median
 * is below this share of a wrong secret's. With equal timing the rank test
 * alone raises a false alarm at most this often per kind (5 kinds: ≤ 0.5 %
 * per run); the margin keeps a real but harmless difference of a few
 * percent from failing. Without the decoy check a refusal before argon2 is
 * ~3 ms against ~45 ms: U = 0, p ≈ 6e-9.
 */
const SIGNIFICANCE = 0.001;
const MARGIN = 0.7;

describe('client enumeration through response time', { skip: sqlite.skip }, () => {
  const context = useSeededServer(sqlite.kind);
  const refusals: Record<string, () => Promise<Awaited<ReturnType<typeof postForm>>>> = {};

  before(async () => {
    const { server, machine } = context;
    const token = (auth?: { clientId: string; clientSecret: string }, form: Record<string, string> = {}) =>
      postForm(`${server.url}/token`, { grant_type: 'client_credentials', ...form }, auth);
    const key = await clientKey();
    const signer = await clientKey();
    const keyClient = await seedClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] } });
    const apps = await seedApps(server);
    const allowListed = await seedMachineClient(server, { ipAllowlist: ['192.0.2.0/24'] });
    let jti = 0;
    const foreignAssertion = () =>
      new SignJWT({ jti: `enumeration-${(jti += 1)}` })
        .setProtectedHeader({ alg: 'ES256', kid: key.publicJwk.kid! })
        .setIssuer(keyClient.clientId)
        .setSubject(keyClient.clientId)
        .setAudience(server.issuer)
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(signer.privateKey);
    let unknown = 0;
    Object.assign(refusals, {
      'a known client with a wrong secret': () => token({ clientId: machine.clientId, clientSecret: 'wrong-secret' }),
      'an unknown client id': () => token({ clientId: `00000000-0000-4000-8000-${String((unknown += 1)).padStart(12, '0')}`, clientSecret: 'wrong-secret' }),
      'a private_key_jwt client sent a secret': () => token({ clientId: keyClient.clientId, clientSecret: 'wrong-secret' }),
      'a private_key_jwt client sent an assertion signed by another key': async () =>
        token(undefined, {
          client_id: keyClient.clientId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: await foreignAssertion(),
        }),
      'a public client sent a secret': () => token({ clientId: apps.publicClientId, clientSecret: 'wrong-secret' }),
      'an IP-allow-listed client, from outside its list, with its right secret': () => token(allowListed),
    });
  });

  test('every refusal of client authentication takes as long as a wrong secret (one argon2 check)', async () => {
    const kinds = Object.keys(refusals);
    const times = new Map(kinds.map((kind) => [kind, [] as number[]]));
    // Once each first: connections, caches and JIT warm up outside the measurement.
    for (const kind of kinds) await refusals[kind]!();
    for (let round = 0; round < ROUNDS; round += 1) {
      // A different order each round, so no kind always follows the same one.
      const order = kinds.map((kind, index) => ({ kind, at: (index * 7 + round * 5) % kinds.length })).sort((a, b) => a.at - b.at);
      for (const { kind } of order) {
        const started = performance.now();
        const answer = await refusals[kind]!();
        times.get(kind)!.push(performance.now() - started);
        assert.equal(answer.status, 401, kind);
        assert.equal(answer.body['error'], 'invalid_client', kind);
      }
    }
    const reference = times.get('a known client with a wrong secret')!;
    const faster = kinds
      .filter((kind) => kind !== 'a known client with a wrong secret')
      .map((kind) => {
        const sample = times.get(kind)!;
        return { kind, p: probabilityAtLeastAsFast(sample, reference), ratio: median(sample) / median(reference) };
      })
      .filter(({ p, ratio }) => p < SIGNIFICANCE && ratio < MARGIN);
    assert.deepEqual(
      faster.map(({ kind, p, ratio }) => `${kind}: median ${ratio.toFixed(2)}× a wrong secret's, p = ${p.toExponential(1)}`),
      [],
      `median of a wrong secret: ${median(reference).toFixed(1)} ms`,
    );
  });
});
