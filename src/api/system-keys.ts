// Keys selfman keeps for itself (docs/api.md §6): the cluster secret, API tokens. They start with a
// NUL and "selfman/", and neither API lets a client read or write them.
export const SYSTEM_PREFIX = "\u0000selfman/";

export function isSystemKey(key: string): boolean {
  return key.startsWith(SYSTEM_PREFIX);
}
