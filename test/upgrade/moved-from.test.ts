import { Construct } from "constructs";
import { TerraformStack, Testing } from "cdktf";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { movedFrom } from "../../constructs";
import { newStack, PROJECT, synthStack } from "../support";

// movedFrom: every resource below a construct that moved gets a `moved` block from the address it had
// at the former path (cdktf derives addresses from construct paths), so Terraform moves the resources
// instead of destroying them. test/upgrade/catalogue.terraform.test.ts plans it with the real provider.

function piece(parent: Construct): Construct {
  const scope = new Construct(parent, "piece");
  new PubsubTopic(scope, "topic", { name: "events", project: PROJECT });
  new PubsubTopic(new Construct(scope, "nested"), "topic", { name: "events-dlq", project: PROJECT });
  return scope;
}

function addresses(json: any): string[] {
  return Object.keys(json.resource.google_pubsub_topic).map((name) => `google_pubsub_topic.${name}`);
}

describe("movedFrom", () => {
  test("declares a move from each resource's former address to its new one", () => {
    const before = newStack();
    piece(before);
    const formerAddresses = addresses(synthStack(before));

    const after = newStack();
    const moved = piece(new Construct(after, "ingestion"));
    const moves = movedFrom(moved, "piece");
    const json = synthStack(after);

    expect(json.moved.map((m: any) => m.from).sort()).toEqual(formerAddresses.sort());
    expect(json.moved.map((m: any) => m.to).sort()).toEqual(addresses(json).sort());
    expect(moves.map((m) => m.from).sort()).toEqual(formerAddresses.sort());
  });

  test("covers resources added under the construct after the call", () => {
    const after = newStack();
    const scope = new Construct(new Construct(after, "ingestion"), "piece");
    movedFrom(scope, "piece");
    new PubsubTopic(scope, "late", { name: "late", project: PROJECT });
    expect(synthStack(after).moved).toHaveLength(1);
  });

  test("a renamed construct (same parent, new id) keeps its resources too", () => {
    const before = newStack();
    const original = new Construct(before, "events");
    new PubsubTopic(original, "topic", { name: "events", project: PROJECT });
    const after = newStack();
    const renamed = new Construct(after, "wiki-events");
    new PubsubTopic(renamed, "topic", { name: "events", project: PROJECT });
    movedFrom(renamed, "events");
    expect(synthStack(after).moved).toEqual([
      { from: addresses(synthStack(before))[0], to: addresses(synthStack(after))[0] },
    ]);
  });

  test("refuses a path that is empty, has an empty id, or is where the construct already is", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const scope = new Construct(new Construct(stack, "ingestion"), "piece");
    expect(() => movedFrom(scope, "")).toThrow('test/ingestion/piece: movedFrom path "" is not a construct path');
    expect(() => movedFrom(scope, "a//b")).toThrow('movedFrom path "a//b" is not a construct path');
    expect(() => movedFrom(scope, "ingestion/piece")).toThrow("is where the construct already is");
  });
});
