import * as fs from "node:fs";
import * as path from "node:path";
import { Testing } from "cdktf";
import { buildExample } from "./readme-example";
import { resources } from "./helpers";

const README = path.join(__dirname, "..", "..", "README.md");
const EXAMPLE = path.join(__dirname, "readme-example.ts");

/** The example as the README shows it: the code between the markers, importing from the package. */
function exampleAsPublished(): string {
  const source = fs.readFileSync(EXAMPLE, "utf8");
  const body = source.split("// README-EXAMPLE-START\n")[1].split("// README-EXAMPLE-END")[0];
  return body.replace('from "../../constructs";', 'from "fresh-streams";').trim();
}

describe("README ingestion example", () => {
  test("the README shows exactly the compiled example", () => {
    const readme = fs.readFileSync(README, "utf8");
    const section = readme.split("## Ingestion")[1] ?? "";
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1]?.trim();
    expect(block).toBe(exampleAsPublished());
  });

  test("it synthesizes a topic, dead-lettering, the Dataflow job and the project services", () => {
    const json = JSON.parse(Testing.synth(buildExample(Testing.app())));
    expect(
      resources(json, "google_pubsub_topic")
        .map((t) => t.name)
        .sort(),
    ).toEqual(["events", "events-dead-letter"]);
    expect(
      resources(json, "google_pubsub_subscription")
        .map((s) => s.name)
        .sort(),
    ).toEqual(["events-dataflow", "events-dead-letter-sub"]);
    expect(resources(json, "google_dataflow_job")[0].parameters.outputTableSpec).toBe("my-project:raw.events");
    expect(resources(json, "google_project_service").length).toBeGreaterThan(10);
  });
});
