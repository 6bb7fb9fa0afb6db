import type { ParameterizedContext } from 'koa';
import { MAX_BODY_BYTES, readBoundedBody } from '../http/bounded-body.js';
import { invalidRequest, TollgateError } from '../errors.js';
import { MAX_INPUT_DEPTH } from '../registry/input.js';

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * How deep `json` nests, counted over the bytes before anything is parsed
 * (brackets inside strings do not count), stopping as soon as it passes
 * `limit`: JSON.parse, structuredClone and the validators all recurse, and
 * 27 000 levels would exhaust the stack there.
 */
function nestingExceeds(json: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < json.length; index += 1) {
    const byte = json[index];
    if (inString) {
      if (byte === BACKSLASH) index += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth += 1;
      if (depth > limit) return true;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) depth -= 1;
  }
  return false;
}

/** The JSON request body, or `{}` when there is none. Bodies are read only for routes that take one. */
export async function readJsonBody(ctx: ParameterizedContext): Promise<unknown> {
  const body = await readBoundedBody(ctx, MAX_BODY_BYTES, 'request body');
  if (body.length === 0) return {};
  if (!ctx.is('application/json')) throw new TollgateError(415, 'unsupported_media_type', 'send the request body as application/json');
  if (nestingExceeds(body, MAX_INPUT_DEPTH)) throw invalidRequest(`the request body nests more than ${MAX_INPUT_DEPTH} levels deep`);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw invalidRequest('the request body is not valid JSON');
  }
}
