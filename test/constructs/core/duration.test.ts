import { TerraformOutput, TerraformVariable } from "cdktf";
import { Duration } from "../../../constructs/core/duration";
import { newStack, synthStack } from "../../support";

describe("Duration", () => {
  test("converts between units, multiplying before dividing", () => {
    expect(Duration.days(7).toSeconds()).toBe(604_800);
    expect(Duration.minutes(1.5).toSeconds()).toBe(90);
    expect(Duration.seconds(90).toMinutes()).toBe(1.5);
    expect(Duration.hours(1).toMilliseconds()).toBe(3_600_000);
    expect(Duration.millis(86_400_000).toDays()).toBe(1);
  });

  test("renders the forms the APIs take", () => {
    expect(Duration.days(7).toPubsubString()).toBe("604800s");
    expect(Duration.millis(500).toPubsubString()).toBe("0.5s");
    expect(Duration.minutes(10).toBigQueryInterval()).toBe("0-0 0 0:10:0");
    expect(Duration.hours(26).toBigQueryInterval()).toBe("0-0 1 2:0:0");
    expect(Duration.hours(26).toHumanString()).toBe("1 day 2 hours");
    expect(Duration.seconds(0).toHumanString()).toBe("0 seconds");
    expect(Duration.millis(1001.5).toHumanString()).toBe("1 second 1.5 milliseconds");
  });

  test("tells whole amounts from fractional ones", () => {
    expect(Duration.hours(48).isWhole("days")).toBe(true);
    expect(Duration.hours(36).isWhole("days")).toBe(false);
    expect(Duration.millis(1500).isWhole("seconds")).toBe(false);
  });

  test("refuses negative and non-finite amounts", () => {
    expect(() => Duration.seconds(-1)).toThrow(/-1 seconds is not a non-negative finite length of time/);
    expect(() => Duration.minutes(Number.NaN)).toThrow(/not a non-negative finite/);
    expect(() => Duration.days(Number.POSITIVE_INFINITY)).toThrow(/not a non-negative finite/);
  });

  test("compares known lengths, whatever the unit", () => {
    expect(Duration.minutes(60).equals(Duration.hours(1))).toBe(true);
    expect(Duration.minutes(61).equals(Duration.hours(1))).toBe(false);
  });

  test("a Terraform variable as amount renders as Terraform arithmetic, never as a number", () => {
    const stack = newStack();
    const minutes = new TerraformVariable(stack, "minutes", { type: "number" });
    const duration = Duration.minutes(minutes.numberValue);
    expect(duration.isUnresolved()).toBe(true);
    expect(duration.isWhole("seconds")).toBe(true);
    new TerraformOutput(stack, "pubsub", { value: duration.toPubsubString() });
    new TerraformOutput(stack, "millis", { value: duration.toMilliseconds() });
    const json = synthStack(stack);
    expect(json.output.pubsub.value).toBe("${(var.minutes * 60)}s");
    expect(json.output.millis.value).toBe("${(var.minutes * 60000)}");
  });
});
