// The OpenAPI 3.1 document at /v1/openapi.json (docs/api.md §2), built from the route table: the same
// schemas that validate each request body describe it here, so the document says what is enforced.
import type { Json } from "../wire/lossless-json.js";
import type { RouteSpec } from "./route-table.js";

const ERROR_SCHEMA = {
  type: "object",
  required: ["error", "message"],
  properties: { error: { type: "string" }, message: { type: "string" } },
};

function operation(route: RouteSpec): Json {
  const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1] ?? "",
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
  const responses: { [status: string]: Json } = {};
  for (const [status, description] of Object.entries(route.responses))
    responses[status] = { description, content: { "application/json": { schema: {} } } };
  responses.default = { description: "an error", content: { "application/json": { schema: ERROR_SCHEMA } } };
  return {
    summary: route.summary,
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body === undefined
      ? {}
      : { requestBody: { required: true, content: { "application/json": { schema: route.body.json } } } }),
    responses,
    security: route.scope === null ? [] : [{ bearer: [route.scope] }],
    "x-scope": route.scope,
  };
}

export function openApiDocument(routes: readonly RouteSpec[], version: string): Json {
  const paths: { [path: string]: { [method: string]: Json } } = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    (paths[route.path] as { [method: string]: Json })[route.method] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "selfman",
      version,
      description:
        'A self-managing key-value store with transactions. Values are JSON; integers of any size are kept exactly; {"$base64": …} is a binary value. Errors are {error, message}.',
    },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    paths,
  };
}
