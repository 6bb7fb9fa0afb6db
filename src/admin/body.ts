import type { ParameterizedContext } from 'koa';
import { MAX_BODY_BYTES } from '../app.js';
import { readBoundedBody } from '../bounded-body.js';
import { invalidRequest, TollgateError } from '../errors.js';

/** The JSON request body, or `{}` when there is none. Bodies are read only for routes that take one. */
export async function readJsonBody(ctx: ParameterizedContext): Promise<unknown> {
  const body = await readBoundedBody(ctx, MAX_BODY_BYTES, 'request body');
  if (body.length === 0) return {};
  if (!ctx.is('application/json')) throw new TollgateError(415, 'unsupported_media_type', 'send the request body as application/json');
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw invalidRequest('the request body is not valid JSON');
  }
}
