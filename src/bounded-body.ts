import type { ParameterizedContext } from 'koa';
import { TollgateError } from './errors.js';

/**
 * Reads a request body, refusing it with 413 once it passes `maxBytes`
 * while reading: a chunked request has no Content-Length for the host's
 * own check. `label` names the body in the error (`request body`, `form`).
 */
export async function readBoundedBody(ctx: ParameterizedContext, maxBytes: number, label: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new TollgateError(413, 'request_too_large', `${label} must not exceed ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
