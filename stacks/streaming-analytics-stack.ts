import { Construct } from "constructs";
import { GcsBackend, LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { EnvironmentConfig } from "../config/schema";
import { Warehouse } from "./warehouse";
import { Ingestion } from "./ingestion";
import { PageState } from "./page-state";
import { Elt } from "./elt";
import { Analytics } from "./analytics";
import { WorkerService } from "./worker";
import { Monitoring } from "./monitoring";
import { applyWarehousePolicies, ProjectServices } from "../constructs";

/** Props of {@link StreamingAnalyticsStack}. */
export interface StreamingAnalyticsStackProps {
  /** Environment name (`local`, `dev`, `prod`): the stack name and the `env` label. */
  readonly environment: string;
  /** The environment's validated settings. */
  readonly config: EnvironmentConfig;
}

/** The labels every labelled resource of an environment carries. */
export function environmentLabels(environment: string, config: EnvironmentConfig): Record<string, string> {
  return { ...config.labels, env: environment, app: "fresh-streams" };
}

/**
 * The whole streaming-analytics warehouse for one environment: provider, state backend,
 * and the warehouse, ingestion, ELT and worker layers.
 */
export class StreamingAnalyticsStack extends TerraformStack {
  public readonly environment: string;
  public readonly config: EnvironmentConfig;
  public readonly labels: Record<string, string>;
  /** BigQuery datasets and tables (raw, staging, reporting, CDC). */
  public readonly warehouse: Warehouse;
  /** Topic, dead-lettering and the Dataflow job or BigQuery subscription feeding the raw table; in mode `direct`, the raw error table only. */
  public readonly ingestion: Ingestion;
  /** Page state as CDC: the worker's CDC topic and the CDC subscription into `raw.wiki_pages`. */
  public readonly pageState: PageState;
  /** Scheduled staging load, leaderboard, quality/analytics/CDC views. */
  public readonly elt: Elt;
  /** Windowed aggregates over wiki_staged (tumbling, hopping, sessions); absent when `windows.enabled` is false. */
  public readonly analytics?: Analytics;
  /** The SSE publisher worker on Cloud Run; absent when `worker.enabled` is false. */
  public readonly worker?: WorkerService;
  /** Health checks, alert policies, channels and dashboard; absent when `monitoring.enabled` is false. */
  public readonly monitoring?: Monitoring;
  /** The project APIs; every resource of the stack depends on them. */
  public readonly services: ProjectServices;

  constructor(scope: Construct, id: string, props: StreamingAnalyticsStackProps) {
    super(scope, id);
    const { environment, config } = props;
    this.environment = environment;
    this.config = config;
    this.labels = environmentLabels(environment, config);

    const provider = new GoogleProvider(this, "google", { project: config.projectId, region: config.region });
    // Set through an override: cdktf snake_cases the keys of provider maps ("cost-center" would become "cost_center").
    provider.addOverride("default_labels", this.labels);

    if (config.backend.type === "gcs") {
      new GcsBackend(this, { bucket: config.backend.bucket, prefix: config.backend.prefix });
    } else {
      new LocalBackend(this, { path: `terraform.${environment}.tfstate` });
    }

    this.services = new ProjectServices(this, "services", { project: config.projectId });
    this.services.applyTo(this);
    this.warehouse = new Warehouse(this, "warehouse", {
      config,
      labels: this.labels,
      leaderboardTable: config.elt.leaderboard === "scheduled-refresh",
    });
    this.ingestion = new Ingestion(this, "ingestion", {
      config,
      table: this.warehouse.wikiChanges,
      labels: this.labels,
    });
    this.pageState = new PageState(this, "page-state", {
      config,
      table: this.warehouse.wikiPages,
      labels: this.labels,
    });
    this.elt = new Elt(this, "elt", { warehouse: this.warehouse, config, labels: this.labels });
    if (config.windows.enabled)
      this.analytics = new Analytics(this, "analytics", {
        warehouse: this.warehouse,
        config,
        labels: this.labels,
        notificationTopic: this.elt.runNotificationTopic,
      });
    if (config.worker.enabled)
      this.worker = new WorkerService(this, "worker", {
        config,
        topic: this.ingestion.topic,
        directSink: this.ingestion.errorTable
          ? {
              table: this.warehouse.wikiChanges,
              errorTable: this.ingestion.errorTable,
              api: this.ingestion.directApi,
            }
          : undefined,
        cdcTopic: this.pageState.topic,
        labels: this.labels,
      });
    if (config.monitoring.enabled) {
      this.monitoring = new Monitoring(this, "monitoring", {
        config,
        environment,
        labels: this.labels,
        warehouse: this.warehouse,
        ingestion: this.ingestion,
        elt: this.elt,
        worker: this.worker,
      });
    }

    // Policy (labels, least-privilege IAM, partitioned streaming tables, production safety, CMEK): fails synth on a
    // violation.
    applyWarehousePolicies(this, {
      labels: this.labels,
      production: config.production,
      requireCmek: config.requireCmek,
      kmsKeyName: config.kmsKeyName,
    });

    new TerraformOutput(this, "project_id", { value: config.projectId, description: "Project the stack deploys into" });
  }
}
