/**
 * Validation as data: tables of rules kept outside the constructors (the way the AWS CDK keeps
 * `aws-sqs/lib/validate-queue-props.ts`), each rule a check and the message naming the value and the rule.
 * Two shapes: a {@link PropRule} checks one prop (skipping unset values and unresolved tokens), a {@link Rule}
 * checks the props as a whole (relations between props). Private to the library.
 */
import { Token } from "cdktf";
import { fail } from "./validation";

/** One rule on the prop `K` of `P`: the construct fails with `message` when `valid` is false. */
export interface PropRule<P, K extends keyof P = keyof P> {
  /** The prop checked. */
  readonly prop: K;
  /** Whether the value passes; called only for a value that is set and not an unresolved token. */
  valid(value: NonNullable<P[K]>, props: P): boolean;
  /** The value and the rule it breaks (the construct path is put in front). */
  message(value: NonNullable<P[K]>, props: P): string;
}

/** A table of rules on the props `P`, checked in order; each rule's `prop` types its value. */
export type PropRules<P> = readonly { [K in keyof P]-?: PropRule<P, K> }[keyof P][];

/**
 * Checks `props` against `rules` in order and fails with `<path>: <message>` at the first rule
 * broken. Values that are unset or unresolved tokens are skipped: Terraform decides them.
 */
export function checkProps<P>(path: string, props: P, rules: PropRules<P>): void {
  for (const rule of rules as readonly PropRule<P>[]) {
    const value = props[rule.prop];
    if (value === undefined || value === null || Token.isUnresolved(value)) continue;
    if (!rule.valid(value, props)) fail(path, rule.message(value, props));
  }
}

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
