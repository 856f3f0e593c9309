// Validation of decoded input (ARCHITECTURE.md §4): every frame the live transport decodes passes a
// schema before protocol code sees it. A schema either returns a clean copy of the value, holding only
// the fields it declares, or throws a SchemaError naming the path that failed. Small combinators,
// written out so that a message's schema reads like its type.

/** Input that does not have the declared shape; `path` says where (e.g. `msg.succList[3].id`). */
export class SchemaError extends Error {
  readonly path: string;

  constructor(path: string, expected: string) {
    super(`${path}: expected ${expected}`);
    this.name = "SchemaError";
    this.path = path;
  }
}

/** Checks `value` (found at `path`) and returns the clean value, or throws SchemaError. */
export type Schema<T> = (value: unknown, path: string) => T;

export type Infer<S> = S extends Schema<infer T> ? T : never;

export function uint(max: number = Number.MAX_SAFE_INTEGER): Schema<number> {
  return (value, path) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max)
      throw new SchemaError(path, `an integer in [0, ${max}]`);
    return value;
  };
}

export const bool: Schema<boolean> = (value, path) => {
  if (typeof value !== "boolean") throw new SchemaError(path, "a boolean");
  return value;
};

export function str(maxLength: number, pattern?: RegExp): Schema<string> {
  return (value, path) => {
    if (
      typeof value !== "string" ||
      value.length > maxLength ||
      (pattern !== undefined && !pattern.test(value))
    )
      throw new SchemaError(
        path,
        `a string of at most ${maxLength} characters${pattern ? ` like ${pattern}` : ""}`,
      );
    return value;
  };
}

/** A bigint in [0, size). */
export function bigintBelow(size: bigint): Schema<bigint> {
  return (value, path) => {
    if (typeof value !== "bigint" || value < 0n || value >= size)
      throw new SchemaError(path, `a bigint in [0, ${size})`);
    return value;
  };
}

export function literal<L extends string>(...options: readonly L[]): Schema<L> {
  return (value, path) => {
    if (typeof value !== "string" || !(options as readonly string[]).includes(value))
      throw new SchemaError(path, `one of ${options.join(", ")}`);
    return value as L;
  };
}

export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return (value, path) => (value === null ? null : schema(value, path));
}

export function array<T>(item: Schema<T>, maxLength: number): Schema<T[]> {
  return (value, path) => {
    if (!Array.isArray(value) || value.length > maxLength)
      throw new SchemaError(path, `an array of at most ${maxLength} items`);
    return value.map((v, i) => item(v, `${path}[${i}]`));
  };
}

type Shape = Record<string, Schema<unknown>>;
type ObjectOf<S extends Shape> = { [K in keyof S]: Infer<S[K]> };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A plain object with exactly these fields (others are an error: they would only carry junk). */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  const keys = Object.keys(shape);
  return (value, path) => {
    if (!isPlainObject(value)) throw new SchemaError(path, "an object");
    for (const key in value) {
      if (!Object.hasOwn(shape, key)) throw new SchemaError(`${path}.${key}`, "no such field");
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) out[key] = (shape[key] as Schema<unknown>)(value[key], `${path}.${key}`);
    return out as ObjectOf<S>;
  };
}

/**
 * A union discriminated by the string field `tag`: each variant's schema checks the other fields;
 * the tag is copied over. An unknown tag throws with the path of the tag.
 */
export function tagged<T extends { readonly [K in Tag]: string }, Tag extends string>(
  tag: Tag,
  variants: { readonly [V in T[Tag]]: Schema<Omit<Extract<T, { [K in Tag]: V }>, Tag>> },
): Schema<T> {
  const table = variants as Record<string, Schema<object>>;
  return (value, path) => {
    if (!isPlainObject(value)) throw new SchemaError(path, "an object");
    const kind = value[tag];
    if (typeof kind !== "string" || !Object.hasOwn(table, kind))
      throw new SchemaError(`${path}.${tag}`, `one of ${Object.keys(table).join(", ")}`);
    const { [tag]: _, ...rest } = value;
    return { [tag]: kind, ...(table[kind] as Schema<object>)(rest, path) } as unknown as T;
  };
}
