// The /v1 routes as data (docs/api.md §2): each says its method, path, scope, body schema and what it
// answers; the server registers the handlers from it and openapi.ts describes the same list, so the
// document cannot drift from what is served.
import type { Context } from "hono";
import type { ApiContext, ApiEnv } from "./api-context.js";
import type { ApiSchema } from "./api-schema.js";
import type { Scope } from "./api-tokens.js";

export interface RouteSpec {
  readonly method: "get" | "put" | "post" | "delete";
  /** OpenAPI form: /v1/kv/{key}. */
  readonly path: string;
  readonly summary: string;
  /** null: no token needed (health, readiness, the OpenAPI document). */
  readonly scope: Scope | null;
  readonly body?: ApiSchema<unknown>;
  /** Status → what it means. */
  readonly responses: Readonly<Record<number, string>>;
  readonly handler: (c: Context<ApiEnv>, api: ApiContext) => Promise<Response> | Response;
}

/** The hono form of an OpenAPI path: {key} → :key (a key may hold slashes). */
export function honoPath(path: string): string {
  return path.replace(/\{key\}/g, ":key{.+}").replace(/\{(\w+)\}/g, ":$1");
}
