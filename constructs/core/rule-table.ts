/**
 * Validation as data: a table of rules, each a check and the message naming the value and the
 * rule, kept outside the constructor (the aws-sqs `validate-queue-props.ts` way). Private to the
 * library.
 */
import { fail } from "./validation";

/** One rule of a table: when `input` breaks it, and what the error says. */
export interface Rule<T> {
  /** Whether `input` breaks the rule (a rule skips values that are unresolved tokens). */
  readonly breaks: (input: T) => boolean;
  /** What is wrong: the value and the rule (the construct path is put in front). */
  readonly message: (input: T) => string;
}

/** Fails with `<path>: <message>` of the first rule `input` breaks, checking the rules in their order. */
export function checkRules<T>(path: string, input: T, rules: readonly Rule<T>[]): void {
  const broken = rules.find((rule) => rule.breaks(input));
  if (broken !== undefined) fail(path, broken.message(input));
}
