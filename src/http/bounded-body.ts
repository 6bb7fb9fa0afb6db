import type { ParameterizedContext } from 'koa';
import { invalidRequest, TollgateError } from '../errors.js';

/**
 * oidc-provider's own body parser stops at 56 KiB and answers 400; refusing
 * larger bodies here first gives the right status (413) and never reads them.
 */
export const MAX_BODY_BYTES = 56 * 1024;

/**
 * Reads a request body, refusing it with 413 once it passes `maxBytes`
 * while reading: a chunked request has no Content-Length for the host's
 * own check. `label` names the body in the error (`request body`, `form`).
 */
export async function readBoundedBody(ctx: ParameterizedContext, maxBytes: number, label: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new TollgateError(413, 'request_too_large', `${label} must not exceed ${maxBytes} bytes`);
      chunks.push(chunk);
    }
  } catch (error) {
    // Node fails the read with `aborted` (ECONNRESET) when the client hangs
    // up mid-body: the client's fault, not an error of this server.
    if ((error as NodeJS.ErrnoException).code === 'ECONNRESET') throw invalidRequest(`${label} ended before it was complete`);
    throw error;
  }
  return Buffer.concat(chunks);
}
