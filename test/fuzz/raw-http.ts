import { connect } from 'node:net';

/**
 * One HTTP/1.1 request as bytes. fetch and node:http normalise or refuse
 * exactly what a fuzzer wants to send (dot segments, NUL, raw UTF-8 in the
 * path, duplicate or oversized headers), so requests go over a bare socket.
 */
export interface RawRequest {
  readonly method: string;
  /** The request target as sent, byte for byte (latin1 string: one char, one byte). */
  readonly target: string;
  /** Header lines after Host, in order; names and values as sent (latin1). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** How the body is framed: Content-Length, chunked, or a Content-Length larger than the bytes sent, then half-close. */
  readonly framing: 'length' | 'chunked' | 'short';
  /** Omit the Host header (HTTP/1.1 requires it). */
  readonly noHost?: boolean;
}

export type RawOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly ms: number; readonly head: string }
  | { readonly kind: 'closed'; readonly ms: number }
  | { readonly kind: 'timeout'; readonly ms: number }
  | { readonly kind: 'error'; readonly ms: number; readonly code: string };

export function encodeRequest(request: RawRequest, host: string): Buffer {
  const lines = [`${request.method} ${request.target} HTTP/1.1`];
  if (!request.noHost) lines.push(`Host: ${host}`);
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  if (request.framing === 'chunked') lines.push('Transfer-Encoding: chunked');
  else if (request.framing === 'short') lines.push(`Content-Length: ${request.body.length + 10}`);
  else if (request.body.length || !['GET', 'HEAD'].includes(request.method)) lines.push(`Content-Length: ${request.body.length}`);
  lines.push('Connection: close', '', '');
  const head = Buffer.from(lines.join('\r\n'), 'latin1');
  if (request.framing !== 'chunked') return Buffer.concat([head, request.body]);
  const chunk = request.body.length ? [Buffer.from(`${request.body.length.toString(16)}\r\n`), request.body, Buffer.from('\r\n')] : [];
  return Buffer.concat([head, ...chunk, Buffer.from('0\r\n\r\n')]);
}

/**
 * Sends `request` on a new connection (`Connection: close`) and waits for
 * the server to answer and close, at most `timeoutMs`.
 */
export function sendRaw(port: number, request: RawRequest, timeoutMs: number): Promise<RawOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port });
    let settled = false;
    const finish = (outcome: RawOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout', ms: elapsed() }), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A server may close on a request it refuses while we still write: the answer, if any, was read first.
      const answer = parse(Buffer.concat(chunks));
      finish(answer ? { kind: 'response', ...answer, ms: elapsed() } : { kind: 'error', code: error.code ?? error.message, ms: elapsed() });
    });
    socket.on('close', () => {
      const answer = parse(Buffer.concat(chunks));
      finish(answer ? { kind: 'response', ...answer, ms: elapsed() } : { kind: 'closed', ms: elapsed() });
    });
    socket.on('connect', () => {
      socket.write(encodeRequest(request, `127.0.0.1:${port}`));
      if (request.framing === 'short') socket.end();
    });
  });
}

function parse(bytes: Buffer): { status: number; head: string } | undefined {
  const text = bytes.subarray(0, 4096).toString('latin1');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (!status) return undefined;
  const end = text.indexOf('\r\n\r\n');
  return { status: Number(status[1]), head: end === -1 ? text : text.slice(0, end) };
}
