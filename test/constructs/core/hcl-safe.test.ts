import { TerraformVariable } from "cdktf";
import { hclSafeString } from "../../../constructs/core/hcl-safe";
import { asTemplate, newStack, synthStack } from "../../support";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";

describe("hclSafeString", () => {
  test("a string with quotes and a reference becomes format() of the literal: the same value, printable as HCL", () => {
    const stack = newStack();
    const name = new TerraformVariable(stack, "name", { type: "string" });
    const topic = new PubsubTopic(stack, "topic", {
      name: "t",
      labels: {},
      // A carrier attribute: the synthesized value is what a filter would hold.
      kmsKeyName: hclSafeString(`a="${name.stringValue}" AND b="100%" AND c="${name.stringValue}"`),
    });
    const value: string = synthStack(stack).resource.google_pubsub_topic[topic.friendlyUniqueId].kms_key_name;
    // No quote of the literal stands next to the reference in one string: cdktf cannot mangle it.
    expect(value).toBe('${format("a=\\"%s\\" AND b=\\"100%%\\" AND c=\\"%s\\"", var.name, var.name)}');
    expect(asTemplate(value)).toBe('a="${var.name}" AND b="100%" AND c="${var.name}"');
  });

  test("plain strings and references without quotes are left alone", () => {
    const stack = newStack();
    const name = new TerraformVariable(stack, "name", { type: "string" });
    expect(hclSafeString('a="b"')).toBe('a="b"');
    const path = `projects/p/topics/${name.stringValue}`;
    expect(hclSafeString(path)).toBe(path);
  });
});
