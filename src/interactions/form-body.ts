import type { ParameterizedContext } from 'koa';
import { TollgateError } from '../errors.js';

/** A sign-in form is a few hundred bytes; anything near this is not one. */
const MAX_FORM_BYTES = 8 * 1024;

/** Reads an application/x-www-form-urlencoded body (the pages' forms), refusing anything else. */
export async function readForm(ctx: ParameterizedContext): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new TollgateError(415, 'unsupported_media_type', 'forms are application/x-www-form-urlencoded');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new TollgateError(413, 'request_too_large', `form must not exceed ${MAX_FORM_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
