// Request schemas that both validate a body and describe it (docs/api.md §2): each schema is a parser
// paired with its JSON Schema, so the OpenAPI document (openapi.ts) is generated from exactly what the
// server checks. A parser throws ApiSchemaError naming the field; it never trusts what it was given.
import { type ApiValue, fromWireJson, ValueError } from "../wire/api-value.js";
import type { Json } from "../wire/lossless-json.js";

export type JsonSchema = { readonly [key: string]: Json };

export interface ApiSchema<T> {
  readonly parse: (value: Json, path: string) => T;
  readonly json: JsonSchema;
}

export class ApiSchemaError extends Error {
  constructor(path: string, expected: string) {
    super(`${path}: expected ${expected}`);
    this.name = "ApiSchemaError";
  }
}

const isObject = (v: Json): v is { readonly [key: string]: Json } =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export function str(maxLength: number, description?: string): ApiSchema<string> {
  return {
    parse: (v, path) => {
      if (typeof v !== "string" || v.length > maxLength)
        throw new ApiSchemaError(path, `a string of at most ${maxLength} characters`);
      return v;
    },
    json: { type: "string", maxLength, ...(description === undefined ? {} : { description }) },
  };
}

export function finiteNumber(description?: string): ApiSchema<number> {
  return {
    parse: (v, path) => {
      if (typeof v !== "number" || !Number.isFinite(v)) throw new ApiSchemaError(path, "a finite number");
      return v;
    },
    json: { type: "number", ...(description === undefined ? {} : { description }) },
  };
}

export function integer(min: number, max: number): ApiSchema<number> {
  return {
    parse: (v, path) => {
      if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
        throw new ApiSchemaError(path, `an integer from ${min} to ${max}`);
      return v;
    },
    json: { type: "integer", minimum: min, maximum: max },
  };
}

export function bool(): ApiSchema<boolean> {
  return {
    parse: (v, path) => {
      if (typeof v !== "boolean") throw new ApiSchemaError(path, "true or false");
      return v;
    },
    json: { type: "boolean" },
  };
}

export function literal<L extends string>(...values: L[]): ApiSchema<L> {
  return {
    parse: (v, path) => {
      if (typeof v !== "string" || !(values as string[]).includes(v))
        throw new ApiSchemaError(path, `one of ${values.join(", ")}`);
      return v as L;
    },
    json: { type: "string", enum: values },
  };
}

/** A stored value: any JSON; integers of any size; {"$base64": "..."} is binary. */
export function apiValue(maxBytes: number): ApiSchema<ApiValue> {
  return {
    parse: (v, path) => {
      try {
        return fromWireJson(v);
      } catch (error) {
        throw new ApiSchemaError(path, error instanceof ValueError ? error.message : "a value");
      }
    },
    json: {
      description: `any JSON value (integers of any size are kept exactly); {"$base64": "..."} is a binary value; at most ${maxBytes} bytes as JSON`,
    },
  };
}

export function array<T>(item: ApiSchema<T>, maxItems: number): ApiSchema<T[]> {
  return {
    parse: (v, path) => {
      if (!Array.isArray(v) || v.length > maxItems)
        throw new ApiSchemaError(path, `an array of at most ${maxItems} items`);
      return v.map((x: Json, i: number) => item.parse(x, `${path}[${i}]`));
    },
    json: { type: "array", items: item.json, maxItems },
  };
}

type Fields = { readonly [key: string]: ApiSchema<unknown> };
type Parsed<F extends Fields> = { -readonly [K in keyof F]: F[K] extends ApiSchema<infer T> ? T : never };

/** An object with these members; those in `optional` may be absent (then undefined). */
export function object<F extends Fields, O extends keyof F = never>(
  fields: F,
  optional: readonly O[] = [],
): ApiSchema<Omit<Parsed<F>, O> & Partial<Pick<Parsed<F>, O>>> {
  const names = Object.keys(fields);
  return {
    parse: (v, path) => {
      if (!isObject(v)) throw new ApiSchemaError(path, "an object");
      for (const name of Object.keys(v))
        if (!names.includes(name)) throw new ApiSchemaError(`${path}.${name}`, "no such member");
      const out: { [key: string]: unknown } = {};
      for (const name of names) {
        const member = v[name];
        if (member === undefined) {
          if ((optional as readonly string[]).includes(name)) continue;
          throw new ApiSchemaError(`${path}.${name}`, "a value (it is required)");
        }
        out[name] = (fields[name] as ApiSchema<unknown>).parse(member, `${path}.${name}`);
      }
      return out as Omit<Parsed<F>, O> & Partial<Pick<Parsed<F>, O>>;
    },
    json: {
      type: "object",
      additionalProperties: false,
      properties: Object.fromEntries(names.map((n) => [n, (fields[n] as ApiSchema<unknown>).json])),
      required: names.filter((n) => !(optional as readonly string[]).includes(n)),
    },
  };
}

/** One of several objects told apart by the string member `tag`. */
export function tagged<T>(
  tag: string,
  variants: { readonly [name: string]: ApiSchema<unknown> },
): ApiSchema<T> {
  const names = Object.keys(variants);
  return {
    parse: (v, path) => {
      if (!isObject(v)) throw new ApiSchemaError(path, "an object");
      const kind = v[tag];
      const variant = typeof kind === "string" ? variants[kind] : undefined;
      if (variant === undefined) throw new ApiSchemaError(`${path}.${tag}`, `one of ${names.join(", ")}`);
      const { [tag]: _, ...rest } = v;
      return { [tag]: kind, ...(variant.parse(rest, path) as object) } as T;
    },
    json: {
      oneOf: names.map((name) => {
        const json = (variants[name] as ApiSchema<unknown>).json;
        const properties = (json.properties ?? {}) as { [key: string]: Json };
        const required = (json.required ?? []) as string[];
        return {
          ...json,
          properties: { [tag]: { type: "string", const: name }, ...properties },
          required: [tag, ...required],
        };
      }),
      discriminator: { propertyName: tag },
    },
  };
}
