import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import * as oidc from 'openid-client';
import { createTestDatabase, databaseVariants, type TestDatabase } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startRelay, type TcpRelay } from '../helpers/tcp-relay.js';
import { publicClientConfig, seedApps, signInAndConsent, startAuthorization, type AppFixture } from './fixture.js';

const GRANTS = 3;
const CUTS = 12;
/** Statements a refresh makes on oidc_models, about: a cut lands on the 1st, 2nd, … of them in turn. */
const CUT_POSITIONS = 7;
const OUTAGE_MS = 150;

const postgres = databaseVariants.find((variant) => variant.kind === 'postgres')!;

describe('refresh rotation while the connection to PostgreSQL is cut again and again', { skip: postgres.skip, timeout: 120_000 }, () => {
  let database: TestDatabase;
  let relay: TcpRelay;
  let server: TestServer;
  let apps: AppFixture;
  let config: oidc.Configuration;

  before(async () => {
    database = await createTestDatabase('postgres');
    const direct = new URL(database.url);
    relay = await startRelay(direct, 5432);
    const relayed = new URL(database.url);
    relayed.hostname = '127.0.0.1';
    relayed.port = String(relay.port);
    server = await startTestServer('postgres', { database, env: { DATABASE_URL: relayed.toString() } });
    apps = await seedApps(server);
    config = await publicClientConfig(server, apps.publicClientId);
  });
  after(async () => {
    await server?.stop();
    // The loop restored the relay after its last cut; closing it lets the process end.
    await relay?.cut();
    await database?.drop();
  });

  test(`${GRANTS} grants refreshing in a loop through ${CUTS} cuts, each retrying its failures: 0 grants lost`, async (t) => {
    const refreshTokens: string[] = [];
    for (let i = 0; i < GRANTS; i += 1) {
      const start = await startAuthorization(config, apps.redirectUri);
      const tokens = await oidc.authorizationCodeGrant(config, await signInAndConsent(server, start), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      refreshTokens.push(tokens.refresh_token!);
    }

    // Cut in the middle of the provider's own statements (the rotation's
    // look-ups, its transaction, the access token after it), on the 1st,
    // 2nd, … statement after a refresh succeeded: every cut lands somewhere
    // else, and the loop still makes progress between cuts.
    const outcomes = { ok: 0, retried: 0, lost: 0 };
    let cuts = 0;
    let countdown = 1;
    let okAtLastCut = 0;
    let outage: Promise<void> | undefined;
    const onQuery = (query: { sql: string }) => {
      if (!/oidc_models/i.test(query.sql) || outage || cuts >= CUTS || outcomes.ok === okAtLastCut) return;
      countdown -= 1;
      if (countdown > 0) return;
      cuts += 1;
      countdown = (cuts % CUT_POSITIONS) + 1;
      okAtLastCut = outcomes.ok;
      outage = (async () => {
        await relay.cut();
        await delay(OUTAGE_MS);
        await relay.restore();
        outage = undefined;
      })();
    };
    server.database.knex.on('query', onQuery);

    try {
      const deadline = Date.now() + 60_000;
      await Promise.all(
        refreshTokens.map(async (_, grant) => {
          while (cuts < CUTS && Date.now() < deadline) {
            const response = await fetch(`${server.issuer}/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshTokens[grant]!, client_id: apps.publicClientId }),
              signal: AbortSignal.timeout(10_000),
            }).catch(() => undefined);
            const body = response ? ((await response.json().catch(() => ({}))) as { refresh_token?: string; error?: string }) : {};
            if (response?.status === 200 && body.refresh_token) {
              refreshTokens[grant] = body.refresh_token;
              outcomes.ok += 1;
            } else if (response && response.status < 500) {
              outcomes.lost += 1;
              assert.fail(`grant ${grant} lost: ${response.status} ${body.error}`);
            } else {
              // 5xx or no answer: the client retries with the same refresh token.
              outcomes.retried += 1;
              await (outage ?? delay(20));
            }
          }
        }),
      );
    } finally {
      server.database.knex.removeListener('query', onQuery);
      await outage;
    }
    assert.equal(cuts, CUTS, 'every cut happened');
    assert.ok(outcomes.retried > 0, 'some refreshes failed and were retried');
    // After the outages every grant still refreshes.
    for (const refreshToken of refreshTokens) await oidc.refreshTokenGrant(config, refreshToken);
    assert.deepEqual({ lost: outcomes.lost }, { lost: 0 });
    t.diagnostic(JSON.stringify({ cuts, ...outcomes }));
  });
});
