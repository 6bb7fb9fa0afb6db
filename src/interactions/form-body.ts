import type { ParameterizedContext } from 'koa';
import { readBoundedBody } from '../http/bounded-body.js';
import { TollgateError } from '../errors.js';

/** A sign-in form is a few hundred bytes; anything near this is not one. */
const MAX_FORM_BYTES = 8 * 1024;

/** Reads an application/x-www-form-urlencoded body (the pages' forms), refusing anything else. */
export async function readForm(ctx: ParameterizedContext): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new TollgateError(415, 'unsupported_media_type', 'forms are application/x-www-form-urlencoded');
  }
  return new URLSearchParams((await readBoundedBody(ctx, MAX_FORM_BYTES, 'form')).toString('utf8'));
}
