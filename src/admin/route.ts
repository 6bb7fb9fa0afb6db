import type { JSONSchemaType } from 'ajv';
import type { ParameterizedContext } from 'koa';
import { compileInput } from '../registry/input.js';
import type { AdminCaller } from './auth.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH';

/** A query parameter: always a string on the wire; `pattern` is its allow-list. */
export interface QueryParameter {
  readonly description: string;
  readonly pattern: string;
  readonly maxLength: number;
}

export interface AdminRequest<Body> {
  readonly ctx: ParameterizedContext;
  readonly caller: AdminCaller;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly body: Body;
}

/** Names a schema in the OpenAPI document's components (openapi.ts). */
export type ResponseShape = { readonly ref: string; readonly list?: 'array' | 'page' };

/**
 * One admin API operation. The router, the access rules and the OpenAPI
 * document all read this one table, so the document cannot list a route
 * that does not exist or miss one that does.
 */
export interface AdminRoute<Body = unknown> {
  readonly method: HttpMethod;
  /** OpenAPI path template under /admin/v1: `/clients/{clientId}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  /** `admin`: `tollgate:admin` only (403 for a tenant admin); `tenant`: either scope, limited to the caller's tenant. */
  readonly access: 'admin' | 'tenant';
  readonly body?: JSONSchemaType<Body>;
  readonly query?: Readonly<Record<string, QueryParameter>>;
  /** Creates honour `Idempotency-Key` (idempotency.ts). */
  readonly idempotent?: boolean;
  readonly status: 200 | 201;
  readonly response: ResponseShape;
  /** Whether the response carries a secret shown only this once. */
  readonly returnsSecret?: boolean;
  handle(request: AdminRequest<Body>): Promise<unknown>;
}

/** A route as the router holds it: its body validator compiled once. */
export interface CompiledRoute extends AdminRoute<unknown> {
  readonly validateBody?: (input: unknown) => unknown;
  /** `path` in @koa/router's syntax: `/clients/:clientId`. */
  readonly routerPath: string;
  /** The path's parameters, in order. */
  readonly parameterNames: readonly string[];
}

/** Typed at the definition site, erased in the table. */
export function route<Body>(definition: AdminRoute<Body>): CompiledRoute {
  const parameterNames = [...definition.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
  return {
    ...(definition as unknown as AdminRoute<unknown>),
    ...(definition.body ? { validateBody: compileInput(definition.body) } : {}),
    routerPath: definition.path.replace(/\{(\w+)\}/g, ':$1'),
    parameterNames,
  };
}
