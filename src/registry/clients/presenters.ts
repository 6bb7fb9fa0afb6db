import type { ClientView } from './types.js';

/**
 * What the CLI's create and rotate-secret print: the client and, the only
 * time it is ever shown, its secret; a private_key_jwt client has none. (The
 * admin API answers in snake_case: admin/presenters.ts.)
 */
export const withClientSecret = <View extends Pick<ClientView, 'clientId'>>({ client, clientSecret }: { client: View; clientSecret: string | undefined }) => ({
  client_id: client.clientId,
  ...(clientSecret === undefined ? {} : { client_secret: clientSecret }),
  ...client,
});

