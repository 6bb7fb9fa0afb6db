import type { ParameterizedContext } from 'koa';
import { MAX_BODY_BYTES } from '../app.js';
import { invalidRequest, TollgateError } from '../errors.js';

/**
 * The JSON request body, or `{}` when there is none. Bodies are read only
 * for routes that take one; the size is bounded while reading too, since
 * a chunked request has no Content-Length for the host's check.
 */
export async function readJsonBody(ctx: ParameterizedContext): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new TollgateError(413, 'request_too_large', `request body must not exceed ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  if (!ctx.is('application/json')) throw new TollgateError(415, 'unsupported_media_type', 'send the request body as application/json');
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw invalidRequest('the request body is not valid JSON');
  }
}
