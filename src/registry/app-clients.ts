import type { Knex } from 'knex';
import type { JSONSchemaType } from 'ajv';
import { TollgateError } from '../errors.js';
import { withClientSecret, type ClientRepository, type ClientView, type CreateClientInput } from './clients.js';
import { compileInput, isStorableText, parseList } from './input.js';
import { TtlCache } from './ttl-cache.js';
import type { WithinWrite } from './within-write.js';

/**
 * The authorization-code side of a client: where codes may be sent and
 * whether the client can keep a secret. A client without this row is a
 * machine client (client_credentials only).
 */
export interface AppClient {
  clientId: string;
  /** No secret (native app, SPA): token_endpoint_auth_method `none`, PKCE its only proof. */
  public: boolean;
  /** Compared exactly, character for character (RFC 9700 §4.1.3). */
  redirectUris: string[];
  postLogoutRedirectUris: string[];
}

export interface CreateAppClientInput extends CreateClientInput {
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  public?: boolean;
}

type AppClientFields = Pick<CreateAppClientInput, 'redirect_uris' | 'post_logout_redirect_uris' | 'public'>;

/** The app fields of a create (CLI and admin API); exported for the admin API's body schema and OpenAPI document. */
export const appClientSchema = {
  type: 'object',
  properties: {
    redirect_uris: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 2000 }, minItems: 1, uniqueItems: true, maxItems: 20 },
    post_logout_redirect_uris: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 2000 }, uniqueItems: true, maxItems: 20, nullable: true },
    public: { type: 'boolean', nullable: true },
  },
  required: ['redirect_uris'],
  additionalProperties: false,
} satisfies JSONSchemaType<AppClientFields>;
const appInput = compileInput<AppClientFields>(appClientSchema);

/**
 * What the CLI's create prints: the client, its app fields and, for a
 * confidential client only, its secret, shown this once.
 */
export const withAppClientSecret = ({ client, app, clientSecret }: { client: ClientView; app: AppClient; clientSecret: string | undefined }) => ({
  ...withClientSecret({ client: appClientView(client, app), clientSecret }),
  // The names an OpenID Connect client library configures itself with.
  token_endpoint_auth_method: app.public ? 'none' : 'client_secret_basic',
  redirect_uris: app.redirectUris,
  post_logout_redirect_uris: app.postLogoutRedirectUris,
});

/**
 * A client's view with its app fields. A public client authenticates with
 * nothing (`none`), whatever the machine row underneath says.
 */
export function appClientView<View extends Pick<ClientView, 'tokenEndpointAuthMethod'>>(view: View, app: AppClient) {
  return {
    ...view,
    tokenEndpointAuthMethod: app.public ? ('none' as const) : view.tokenEndpointAuthMethod,
    public: app.public,
    redirectUris: app.redirectUris,
    postLogoutRedirectUris: app.postLogoutRedirectUris,
  };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Characters a redirect URI never needs and that change meaning where it is
 * echoed: the consent and logout pages put its origin into their CSP
 * `form-action`, where `*` is a wildcard (`https://*.evil.test` would allow
 * every subdomain), and whitespace, `;`, `,` and quotes end or add a source.
 * Redirect URIs are compared exactly, so a wildcard could never match anyway.
 */
const UNSAFE_IN_REDIRECT_URI = /[*\s;,'"\\<>^`{|}\u0000-\u001f\u007f-\u009f]/;
/** What a host may be as a CSP source: DNS labels, an IPv4 address, or a bracketed IPv6 address. */
const CSP_SAFE_HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$|^\[[0-9a-f:.]+\]$/;

const invalidRedirectUri = (description: string) => new TollgateError(400, 'invalid_redirect_uri', description);

/**
 * A redirect URI is absolute with no fragment, and https, or http on
 * loopback (development, native apps per RFC 8252 §7.3), or a private-use
 * scheme in reverse-domain form (`com.example.app:/callback`, RFC 8252 §7.1)
 * for public (native) clients; no wildcard or other character that is
 * unsafe in a CSP source. Refusals are RFC 7591's `invalid_redirect_uri`.
 */
function checkRedirectUri(uri: string, isPublic: boolean, field = 'redirect_uri'): void {
  if (UNSAFE_IN_REDIRECT_URI.test(uri)) {
    throw invalidRedirectUri(`${field} must not contain * or spaces, quotes, control characters or any of ; , \\ < > ^ \` { | } (redirect URIs are exact, never patterns)`);
  }
  const url = URL.canParse(uri) ? new URL(uri) : undefined;
  const privateUse = url && /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/.test(url.protocol);
  const web = url !== undefined && (url.protocol === 'https:' || url.protocol === 'http:');
  const ok =
    url !== undefined &&
    !uri.includes('#') &&
    (!web || CSP_SAFE_HOST.test(url.hostname)) &&
    (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) || (isPublic && privateUse));
  if (!ok) {
    throw invalidRedirectUri(
      `${field} ${uri} must be https://, http:// on localhost, or (public clients) a private-use scheme like com.example.app:/callback; no fragment`,
    );
  }
}

interface AppClientRow {
  client_id: string;
  public: boolean | number;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  created_at: number;
}

const toAppClient = (row: AppClientRow): AppClient => ({
  clientId: row.client_id,
  public: Boolean(row.public),
  redirectUris: parseList(row.redirect_uris),
  postLogoutRedirectUris: parseList(row.post_logout_redirect_uris),
});

/** What a create answers: the client, its app fields and, for a confidential client, its secret (shown once). */
export interface CreatedAppClient {
  client: ClientView;
  app: AppClient;
  clientSecret: string | undefined;
}

export class AppClientRepository {
  readonly #cache: TtlCache<AppClient | undefined>;

  constructor(
    private readonly knex: Knex,
    private readonly clients: ClientRepository,
    options: { cacheTtlMs: number },
  ) {
    this.#cache = new TtlCache({ ttlMs: options.cacheTtlMs, maxEntries: 10_000 });
  }

  /**
   * Creates a client that signs users in. A confidential (web) client gets a
   * secret shown once; a public one gets none (a random hash fills the
   * registry's secret column and is never compared). Both rows and `within`
   * share one transaction (within-write.ts).
   */
  async create(input: CreateAppClientInput, within?: WithinWrite<CreatedAppClient>): Promise<CreatedAppClient> {
    const { redirect_uris, post_logout_redirect_uris, public: publicFlag, ...machine } = input;
    // JSON null (the schema's nullable) means absent, as undefined does: a confidential client.
    const isPublic = publicFlag ?? false;
    const valid = appInput({ redirect_uris, ...(post_logout_redirect_uris ? { post_logout_redirect_uris } : {}), public: isPublic });
    valid.redirect_uris.forEach((uri) => checkRedirectUri(uri, isPublic));
    (valid.post_logout_redirect_uris ?? []).forEach((uri) => checkRedirectUri(uri, isPublic, 'post_logout_redirect_uri'));
    const row: Omit<AppClientRow, 'client_id'> = {
      public: isPublic,
      redirect_uris: JSON.stringify(valid.redirect_uris),
      post_logout_redirect_uris: JSON.stringify(valid.post_logout_redirect_uris ?? []),
      created_at: Date.now(),
    };
    const withApp = ({ client, clientSecret }: { client: ClientView; clientSecret: string | undefined }): CreatedAppClient => ({
      client,
      app: toAppClient({ client_id: client.clientId, ...row }),
      clientSecret: isPublic ? undefined : clientSecret,
    });
    const machineClient = await this.clients.create(machine, async (db, created) => {
      await db('app_clients').insert({ client_id: created.client.clientId, ...row });
      await within?.(db, withApp(created));
    });
    this.#cache.delete(machineClient.client.clientId);
    return withApp(machineClient);
  }

  /** Read through the same short cache as the client itself (registry/index.ts). */
  find(clientId: string): Promise<AppClient | undefined> {
    if (!isStorableText(clientId)) return Promise.resolve(undefined);
    return this.#cache.get(clientId, async () => {
      const row: AppClientRow | undefined = await this.knex('app_clients').where({ client_id: clientId }).first();
      return row && toAppClient(row);
    });
  }
}
