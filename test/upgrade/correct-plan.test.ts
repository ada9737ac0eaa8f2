import { changedPaths, correctPlan } from "../../tools/upgrade/correct-plan";
import type { ResourceChange } from "../../tools/upgrade/terraform-workspace";

// The lane gives hashicorp/google 6.50.0's answer where the provider built here (8.0.0) plans
// differently (tools/upgrade/provider-differences.ts).

function change(
  type: string,
  actions: string[],
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  replacePaths?: (string | number)[][],
): ResourceChange {
  return {
    address: `${type}.x`,
    mode: "managed",
    type,
    name: "x",
    provider_name: "hashicorp/google",
    change: { actions, before, after, replace_paths: replacePaths },
  };
}

const plan = (...changes: ResourceChange[]) => ({ format_version: "1.2", resource_changes: changes });

describe("correctPlan", () => {
  test("a replacement forced only by an attribute 6.50.0 does not have becomes an update in place", () => {
    const { plan: corrected, corrections } = correctPlan(
      plan(
        change("google_secret_manager_secret_version", ["delete", "create"], { project: "a" }, { project: "b" }, [
          ["project"],
        ]),
      ),
    );
    expect(corrected.resource_changes?.[0].change.actions).toEqual(["update"]);
    expect(corrections).toEqual([
      expect.objectContaining({ address: "google_secret_manager_secret_version.x", from: "replace", to: "update" }),
    ]);
  });

  test("a replacement also forced by an attribute both versions force stays one, without the other attribute", () => {
    const { plan: corrected, corrections } = correctPlan(
      plan(change("google_pubsub_subscription", ["delete", "create"], {}, {}, [["tags"], ["filter"]])),
    );
    expect(corrected.resource_changes?.[0].change).toMatchObject({
      actions: ["delete", "create"],
      replace_paths: [["filter"]],
    });
    expect(corrections).toEqual([]);
  });

  test("an update of an attribute only 6.50.0 cannot update becomes a replacement", () => {
    const before = {
      remote_repository_config: [{ upstream_credentials: [{ username_password_credentials: [{ username: "a" }] }] }],
    };
    const after = {
      remote_repository_config: [{ upstream_credentials: [{ username_password_credentials: [{ username: "b" }] }] }],
    };
    const { plan: corrected, corrections } = correctPlan(
      plan(change("google_artifact_registry_repository", ["update"], before, after)),
    );
    expect(corrected.resource_changes?.[0].change).toMatchObject({
      actions: ["delete", "create"],
      replace_paths: [
        ["remote_repository_config", 0, "upstream_credentials", 0, "username_password_credentials", 0, "username"],
      ],
    });
    expect(corrections).toEqual([expect.objectContaining({ from: "update", to: "replace" })]);
  });

  test("changes both versions plan alike are left as they are, and the input plan is not modified", () => {
    const input = plan(
      change("google_pubsub_subscription", ["delete", "create"], { filter: "a" }, { filter: "b" }, [["filter"]]),
      change("google_bigquery_table", ["update"], { labels: { a: "1" } }, { labels: { a: "2" } }),
    );
    const copy = JSON.parse(JSON.stringify(input));
    const { plan: corrected, corrections } = correctPlan(input);
    expect(corrected).toEqual(copy);
    expect(input).toEqual(copy);
    expect(corrections).toEqual([]);
  });
});

describe("changedPaths", () => {
  test("lists the leaf paths that differ", () => {
    expect(changedPaths({ a: 1, b: [{ c: 1 }, { c: 2 }] }, { a: 1, b: [{ c: 1 }, { c: 3 }], d: true })).toEqual([
      ["b", 1, "c"],
      ["d"],
    ]);
  });
});
