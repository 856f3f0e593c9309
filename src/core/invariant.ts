// Assertions that stay on (docs/architecture.md, "Assertions and fault hooks"): a protocol rule checked at
// the state change it constrains. A broken rule throws InvariantViolation; the simulator turns it into a
// failed run with its replay command, and a live node stops (fail-stop) and restarts from its data.
// Never catch InvariantViolation inside protocol code: a node that broke a rule must not go on.

/** Thrown when a protocol rule does not hold. `rule` names it as its docs page does (e.g. "I3"). */
export class InvariantViolation extends Error {
  readonly rule: string;

  constructor(rule: string, detail: string) {
    super(`${rule}: ${detail}`);
    this.name = "InvariantViolation";
    this.rule = rule;
  }
}

/**
 * Checks a protocol rule. `detail` is built only when the rule is broken, so a check on a hot path
 * costs one comparison.
 */
export function invariant(condition: boolean, rule: string, detail: () => string): asserts condition {
  if (!condition) throw new InvariantViolation(rule, detail());
}
