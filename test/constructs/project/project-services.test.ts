import { Testing } from "cdktf";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { DataGoogleProject } from "@cdktf/provider-google/lib/data-google-project";
import { ProjectServices, STREAMING_ANALYTICS_SERVICES } from "../../../constructs/project/project-services";
import { PROJECT, newStack, newTopic, resources, synthStack } from "../../support";

describe("ProjectServices", () => {
  test("enables every API the stacks use, never disabling them on destroy", () => {
    const stack = newStack();
    const services = new ProjectServices(stack, "services", { project: PROJECT });
    const json = synthStack(stack);
    const rs = resources(json, "google_project_service");
    expect(rs.map((r) => r.service).sort()).toEqual([...STREAMING_ANALYTICS_SERVICES].sort());
    for (const r of rs)
      expect(r).toMatchObject({ project: PROJECT, disable_on_destroy: false, disable_dependent_services: false });
    for (const api of [
      "bigquery",
      "bigqueryreservation",
      "bigquerydatatransfer",
      "pubsub",
      "dataflow",
      "storage",
      "iam",
      "run",
      "artifactregistry",
    ]) {
      expect(services.serviceNames).toContain(`${api}.googleapis.com`);
    }
    expect(Testing.synth(stack)).toHaveResourceWithProperties(ProjectService, {
      service: "dataflow.googleapis.com",
      disable_on_destroy: false,
    });
  });

  test("additional services and a custom list", () => {
    const stack = newStack();
    const s = new ProjectServices(stack, "services", {
      project: PROJECT,
      services: ["pubsub.googleapis.com"],
      additionalServices: ["secretmanager.googleapis.com"],
    });
    expect(s.serviceNames).toEqual(["pubsub.googleapis.com", "secretmanager.googleapis.com"]);
    expect(() => new ProjectServices(newStack(), "s", { project: PROJECT, services: ["pubsub"] })).toThrow(
      'test/s: service "pubsub" is not an API name such as pubsub.googleapis.com',
    );
  });

  test("applyTo: every resource depends on the services (through one terraform_data), data sources do not", () => {
    const stack = newStack();
    const services = new ProjectServices(stack, "services", { project: PROJECT });
    newTopic(stack).addSubscription("events-reader");
    new DataGoogleProject(stack, "project", { projectId: PROJECT });
    services.applyTo(stack);
    const json = synthStack(stack);
    const [readyName] = Object.keys(json.resource.terraform_data);
    const ready = json.resource.terraform_data[readyName];
    expect(ready.depends_on).toHaveLength(STREAMING_ANALYTICS_SERVICES.length);
    for (const d of ready.depends_on) expect(d).toMatch(/^google_project_service\./);
    let checked = 0;
    for (const [type, rs] of Object.entries(json.resource as Record<string, Record<string, any>>)) {
      if (type === "google_project_service" || type === "terraform_data") continue;
      for (const r of Object.values(rs)) {
        expect(r.depends_on).toContain(`terraform_data.${readyName}`);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(5);
    for (const r of resources(json, "google_project_service")) expect(r.depends_on).toBeUndefined();
    expect(json.data.google_project.project.depends_on).toBeUndefined();
  });
});
