// Validation of decoded input (docs/architecture.md §6): every frame the live transport decodes passes a
// schema before protocol code sees it. A schema either returns the value, checked to hold exactly the
// fields it declares, or throws a SchemaError naming the path that failed. Small combinators, written
// out so that a message's schema reads like its type.
// Hot path (every frame): a value is checked in place — a field whose schema converts it (a decimal
// string into a bigint) is replaced — so validate only freshly decoded values, which nothing else
// holds. The path of a failure is assembled only while the error unwinds.

/** Input that does not have the declared shape; `path` says where (e.g. `msg.succList[3].id`). */
export class SchemaError extends Error {
  /** The steps below the root, outermost first (`.succList`, `[3]`, `.id`). */
  private steps: string;
  readonly expected: string;
  private root: string;

  constructor(expected: string) {
    super(`expected ${expected}`);
    this.name = "SchemaError";
    this.expected = expected;
    this.steps = "";
    this.root = "";
  }

  get path(): string {
    return `${this.root}${this.steps}`;
  }

  /** Adds the step a container took to reach the failing value. */
  within(step: string): SchemaError {
    this.steps = `${step}${this.steps}`;
    this.message = `${this.path}: expected ${this.expected}`;
    return this;
  }

  /** Names the root the path starts at. */
  at(root: string): SchemaError {
    this.root = root;
    this.message = `${this.path}: expected ${this.expected}`;
    return this;
  }
}

/** Checks `value` and returns the clean value, or throws SchemaError. */
export type Schema<T> = (value: unknown) => T;

type Infer<S> = S extends Schema<infer T> ? T : never;

/** Runs `schema` on a decoded input named `root` (the name starts the error's path). */
export function validate<T>(schema: Schema<T>, value: unknown, root: string): T {
  try {
    return schema(value);
  } catch (error) {
    throw error instanceof SchemaError ? error.at(root) : error;
  }
}

/** An integer in [min, max]. */
export function int(min: number, max: number): Schema<number> {
  return (value) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
      throw new SchemaError(`an integer in [${min}, ${max}]`);
    return value;
  };
}

export function uint(max: number = Number.MAX_SAFE_INTEGER): Schema<number> {
  return (value) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max)
      throw new SchemaError(`an integer in [0, ${max}]`);
    return value;
  };
}

export const bool: Schema<boolean> = (value) => {
  if (typeof value !== "boolean") throw new SchemaError("a boolean");
  return value;
};

export function str(maxLength: number, pattern?: RegExp): Schema<string> {
  return (value) => {
    if (
      typeof value !== "string" ||
      value.length > maxLength ||
      (pattern !== undefined && !pattern.test(value))
    )
      throw new SchemaError(
        `a string of at most ${maxLength} characters${pattern ? ` like ${pattern}` : ""}`,
      );
    return value;
  };
}

/**
 * A bigint in [0, size). On the wire a large bigint travels as a decimal string (and one below 2^53
 * as a number): both are turned back into the bigint here.
 */
export function bigintBelow(size: bigint): Schema<bigint> {
  const expected = `a bigint in [0, ${size})`;
  return (value) => {
    let n: bigint;
    if (typeof value === "bigint") n = value;
    else if (typeof value === "string" && value.length <= 80 && /^[0-9]+$/.test(value)) n = BigInt(value);
    else if (typeof value === "number" && Number.isSafeInteger(value)) n = BigInt(value);
    else throw new SchemaError(expected);
    if (n < 0n || n >= size) throw new SchemaError(expected);
    return n;
  };
}

export function literal<L extends string>(...options: readonly L[]): Schema<L> {
  return (value) => {
    if (typeof value !== "string" || !(options as readonly string[]).includes(value))
      throw new SchemaError(`one of ${options.join(", ")}`);
    return value as L;
  };
}

export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return (value) => (value === null ? null : schema(value));
}

export function array<T>(item: Schema<T>, maxLength: number): Schema<T[]> {
  return (value) => {
    if (!Array.isArray(value) || value.length > maxLength)
      throw new SchemaError(`an array of at most ${maxLength} items`);
    for (let i = 0; i < value.length; i++) {
      try {
        value[i] = item(value[i]);
      } catch (error) {
        throw error instanceof SchemaError ? error.within(`[${i}]`) : error;
      }
    }
    return value as T[];
  };
}

type Shape = Record<string, Schema<unknown>>;
type ObjectOf<S extends Shape> = { [K in keyof S]: Infer<S[K]> };

/** An object schema that also shows its shape (so a tagged union can extend it). */
interface ObjectSchema<S extends Shape> extends Schema<ObjectOf<S>> {
  readonly shape: S;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A plain object with exactly these fields (others are an error: they would only carry junk). Every
 * declared field must be present — no schema accepts `undefined` — so with as many keys as the shape
 * there can be no other key.
 */
export function object<S extends Shape>(shape: S): ObjectSchema<S> {
  const keys = Object.keys(shape);
  const checks = keys.map((k) => shape[k] as Schema<unknown>);
  const check = (value: unknown) => {
    if (!isPlainObject(value)) throw new SchemaError("an object");
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const field = value[key];
      let checked: unknown;
      try {
        checked = (checks[i] as Schema<unknown>)(field);
      } catch (error) {
        throw error instanceof SchemaError ? error.within(`.${key}`) : error;
      }
      if (checked !== field) value[key] = checked;
    }
    let count = 0;
    for (const _ in value) count++;
    if (count !== keys.length) {
      const extra = Object.keys(value).find((k) => !Object.hasOwn(shape, k)) ?? "?";
      throw new SchemaError("no such field").within(`.${extra}`);
    }
    return value as ObjectOf<S>;
  };
  return Object.assign(check, { shape });
}

/**
 * A union discriminated by the string field `tag`: each variant is an object schema for the other
 * fields, checked in one pass with the tag. An unknown tag throws with the path of the tag.
 */
export function tagged<T extends { readonly [K in Tag]: string }, Tag extends string>(
  tag: Tag,
  variants: {
    readonly [V in T[Tag]]: ObjectSchema<Shape> & Schema<Omit<Extract<T, { readonly [K in Tag]: V }>, Tag>>;
  },
): Schema<T> {
  const table = new Map<string, Schema<unknown>>();
  for (const [kind, variant] of Object.entries(variants as Record<string, ObjectSchema<Shape>>))
    table.set(kind, object({ [tag]: literal(kind), ...variant.shape }));
  const kinds = [...table.keys()].join(", ");
  return (value) => {
    if (!isPlainObject(value)) throw new SchemaError("an object");
    const kind = value[tag];
    const variant = typeof kind === "string" ? table.get(kind) : undefined;
    if (variant === undefined) throw new SchemaError(`one of ${kinds}`).within(`.${tag}`);
    return variant(value) as T;
  };
}

/** Any JSON value (what clients store), nested at most `maxDepth` deep; no undefined, no NaN. */
export function jsonValue<T>(maxDepth = 32, maxItems = 100_000): Schema<T> {
  const check = (value: unknown, depth: number): void => {
    if (value === null || typeof value === "boolean" || typeof value === "string") return;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw new SchemaError("a finite number");
      return;
    }
    if (depth >= maxDepth) throw new SchemaError(`JSON nested at most ${maxDepth} deep`);
    if (Array.isArray(value)) {
      if (value.length > maxItems) throw new SchemaError(`an array of at most ${maxItems} items`);
      for (let i = 0; i < value.length; i++) {
        try {
          check(value[i], depth + 1);
        } catch (error) {
          throw error instanceof SchemaError ? error.within(`[${i}]`) : error;
        }
      }
      return;
    }
    if (!isPlainObject(value)) throw new SchemaError("a JSON value");
    let count = 0;
    for (const key in value) {
      if (++count > maxItems) throw new SchemaError(`an object of at most ${maxItems} fields`);
      try {
        check(value[key], depth + 1);
      } catch (error) {
        throw error instanceof SchemaError ? error.within(`.${key}`) : error;
      }
    }
  };
  return (value) => {
    check(value, 0);
    return value as T;
  };
}
