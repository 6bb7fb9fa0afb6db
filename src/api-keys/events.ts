/** Why a presented API key was not accepted (for audit and logs; clients only see `active: false`). */
export type ApiKeyFailureReason = 'malformed' | 'unknown' | 'revoked' | 'expired' | 'wrong_secret';

/**
 * What the API-key module reports for the audit log. Events carry ids and
 * reasons only: never the key, its secret or its hash.
 */
export type ApiKeyEvent =
  | { type: 'api_key.created'; apiKeyId: string; tenantId: string; resources: string[]; scopes: string[]; actor?: string }
  | { type: 'api_key.rotated'; apiKeyId: string; tenantId: string; replacedBy: string; overlapSeconds: number; actor?: string }
  | { type: 'api_key.revoked'; apiKeyId: string; tenantId: string; actor?: string }
  | { type: 'api_key.verification_failed'; reason: ApiKeyFailureReason; apiKeyId?: string; tenantId?: string };

/** Receives {@link ApiKeyEvent}s; must not throw (see {@link emitEvent}). */
export type ApiKeyEventListener = (event: ApiKeyEvent) => void;

/**
 * Calls the listener after the change it reports has been committed. A
 * listener that throws cannot undo that change, and must not turn a key
 * verification into a server error, so its exception stops here; an audit
 * sink reports its own failures.
 */
export function emitEvent(listener: ApiKeyEventListener | undefined, event: ApiKeyEvent): void {
  try {
    listener?.(event);
  } catch {
    // Deliberately ignored: see above.
  }
}
