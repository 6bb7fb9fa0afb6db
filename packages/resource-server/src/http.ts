/** The parts of an HTTP answer this package reads. */
export interface JsonResponse {
  readonly status: number;
  /** The parsed JSON body; `undefined` unless the status is 200. */
  readonly body: unknown;
}

/**
 * One request to the authorization server, with a timeout and without
 * following redirects (a redirect could carry client credentials elsewhere).
 * Rejects on network failure, timeout, or a 200 whose body is not JSON.
 */
export async function requestJson(url: URL, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }, timeoutMs: number): Promise<JsonResponse> {
  const response = await fetch(url, {
    ...init,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    return { status: response.status, body: undefined };
  }
  return { status: 200, body: await response.json() };
}

/** A plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
