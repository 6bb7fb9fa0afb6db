import { invalidRequest } from '../errors.js';
import { withAppClientSecret } from '../registry/app-clients.js';
import { CLI_ACTOR } from '../services/index.js';
import { splitList } from '../registry/input.js';
import { required } from './args.js';
import type { CommandContext } from './command.js';
import type { CLIENT_CREATE_OPTIONS } from './client-options.js';
import type { Output } from './output.js';
import { servicesFor } from './services.js';


/**
 * `clients create --grant authorization_code --redirect-uri … [--public]`:
 * a client that signs users in. A confidential one gets its secret shown
 * once; a public one (native app, SPA) has none and must use PKCE.
 */
export async function createAppClient(context: CommandContext<typeof CLIENT_CREATE_OPTIONS>): Promise<Output> {
  const { values } = context;
  const redirectUris = (values['redirect-uri'] ?? []).flatMap(splitList);
  if (!redirectUris.length) throw invalidRequest('--redirect-uri is required with --grant authorization_code');
  const isPublic = values.public ?? false;
  return withAppClientSecret(await servicesFor(context).clients.createApp(CLI_ACTOR, {
    name: required(values.name, '--name'),
    tenant: required(values.tenant, '--tenant'),
    resources: (values.resource ?? []).flatMap(splitList),
    scopes: splitList(values.scopes),
    ...(values['cors-origins'] ? { cors_origins: splitList(values['cors-origins']) } : {}),
    redirect_uris: redirectUris,
    post_logout_redirect_uris: (values['post-logout-redirect-uri'] ?? []).flatMap(splitList),
    public: isPublic,
  }));
}
