import { Construct, IConstruct } from "constructs";
import { Aspects, DataResource, IAspect, TerraformResource } from "cdktf";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { fail, isKnown, refuseToken, requireProps } from "../core/validation";

/** The Google APIs the fresh-streams stacks use. */
export const STREAMING_ANALYTICS_SERVICES: readonly string[] = [
  "serviceusage.googleapis.com",
  "cloudresourcemanager.googleapis.com",
  "iam.googleapis.com",
  "pubsub.googleapis.com",
  "bigquery.googleapis.com",
  "bigquerystorage.googleapis.com",
  "bigqueryreservation.googleapis.com",
  "bigquerydatatransfer.googleapis.com",
  "dataflow.googleapis.com",
  "compute.googleapis.com",
  "storage.googleapis.com",
  "run.googleapis.com",
  "artifactregistry.googleapis.com",
  "cloudkms.googleapis.com",
  "logging.googleapis.com",
  "monitoring.googleapis.com",
  // The worker's metrics sidecar reads its scrape config from a secret.
  "secretmanager.googleapis.com",
];

/** Props of {@link ProjectServices}. */
export interface ProjectServicesProps {
  /** Project whose APIs are enabled. */
  readonly project: string;
  /**
   * APIs to enable, e.g. `pubsub.googleapis.com`.
   * @default STREAMING_ANALYTICS_SERVICES
   */
  readonly services?: readonly string[];
  /**
   * APIs enabled in addition to `services`.
   * @default - none
   */
  readonly additionalServices?: readonly string[];
}

const SERVICE_NAME = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*\.googleapis\.com$/;

/**
 * Enables the project's APIs with `google_project_service` (`disable_on_destroy = false`, so
 * destroying the stack never switches off an API something else relies on).
 *
 * Call {@link applyTo} with the stack: every resource in it then depends on {@link ready}, a
 * `terraform_data` resource that depends on all the services, so a first deploy into an empty
 * project creates the APIs before anything that needs them and succeeds in one pass.
 * (`serviceusage.googleapis.com` itself must already be on for Terraform to enable the others;
 * it is in new projects.)
 */
export class ProjectServices extends Construct {
  /** The service resources, by API name. */
  public readonly services: ReadonlyMap<string, ProjectService>;
  /** A single dependable that is complete once every API is enabled. */
  public readonly ready: DataResource;
  /** The enabled API names, sorted. */
  public readonly serviceNames: readonly string[];

  constructor(scope: Construct, id: string, props: ProjectServicesProps) {
    super(scope, id);
    requireProps(this.node.path, "ProjectServices", props, ["project"]);
    const names = [
      ...new Set([...(props.services ?? STREAMING_ANALYTICS_SERVICES), ...(props.additionalServices ?? [])]),
    ].sort();
    const path = this.node.path;
    if (names.length === 0) fail(path, "no services to enable; leave services unset for the default list");
    for (const name of names) {
      refuseToken(
        path,
        "services",
        name,
        "each API name also names its google_project_service construct (a token's text would change its Terraform address)",
      );
      if (isKnown(name) && !SERVICE_NAME.test(name)) {
        fail(path, `service "${name}" is not an API name such as pubsub.googleapis.com`);
      }
    }
    const services = new Map<string, ProjectService>();
    for (const name of names) {
      services.set(
        name,
        new ProjectService(this, name.replace(/\.googleapis\.com$/, ""), {
          project: props.project,
          service: name,
          disableOnDestroy: false,
          disableDependentServices: false,
        }),
      );
    }
    this.services = services;
    this.serviceNames = names;
    this.ready = new DataResource(this, "ready", {
      input: { project: props.project, services: names },
      dependsOn: [...services.values()],
    });
  }

  /**
   * Makes every resource under `scope` (except these services) depend on {@link ready}.
   * Data sources are left alone so that they are still read at plan time.
   */
  public applyTo(scope: IConstruct): void {
    Aspects.of(scope).add(new DependOnServices(this));
  }
}

class DependOnServices implements IAspect {
  constructor(private readonly services: ProjectServices) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource)) return;
    if (node.node.scopes.includes(this.services)) return;
    // A plain address: `fqn` is a reference token, which would render as "${...}" inside depends_on.
    const ready = `${this.services.ready.terraformResourceType}.${this.services.ready.friendlyUniqueId}`;
    const existing = node.dependsOn ?? [];
    if (!existing.includes(ready)) node.dependsOn = [...existing, ready];
  }
}
