import { z } from "zod";
import {
  BIGQUERY_LOCATION,
  BUCKET_NAME,
  KMS_KEY,
  LABEL_KEY,
  LABEL_VALUE,
  MAX_LABELS,
  PROJECT_ID,
  PROJECT_NUMBER,
  REGION,
} from "../schemas/naming";
import { DEFAULT_SSE_URL, DIRECT_SINKS } from "../schemas/worker-contract";
import { MIN_ALLOW_REASON_LENGTH } from "../constructs/plan-safety/allow-entries";

/**
 * The typed, validated shape of one environment file (`config/<env>.json`).
 *
 * Every object is strict: an unknown key is an error, so a misspelt setting never
 * silently falls back to a default. Each layer's settings live in their own section.
 */

const DATASET_PREFIX = /^[A-Za-z0-9_]{0,100}$/;

const labels = z
  .record(
    z.string().regex(LABEL_KEY, "label keys start with a lowercase letter and use only a-z, 0-9, _ and - (max 63)"),
    z.string().regex(LABEL_VALUE, "label values use only a-z, 0-9, _ and - (max 63)"),
  )
  .refine((value) => Object.keys(value).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`);

const backend = z.discriminatedUnion("type", [
  z
    .object({
      /** `local` (state in the working directory) or `gcs` (state in a Cloud Storage bucket). */
      type: z.literal("local"),
    })
    .strict(),
  z
    .object({
      type: z.literal("gcs"),
      /** The state bucket; create it before the first deploy. */
      bucket: z.string().regex(BUCKET_NAME, "must be a valid Cloud Storage bucket name"),
      /** Object prefix of the state in the bucket. */
      prefix: z.string().min(1).default("fresh-streams"),
    })
    .strict(),
]);

/** Settings of the ELT layer (scheduled queries). */
const elt = z
  .object({
    /** How far back the staging load re-reads raw partitions to catch late events. */
    lookbackHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(48),
    /** Schedule of the staging load, in the Data Transfer Service's syntax. */
    stagingSchedule: z.string().min(1).default("every 15 minutes"),
    /** The leaderboard: an incremental materialized view (always fresh) or a table refreshed by a scheduled query. */
    leaderboard: z.enum(["materialized-view", "scheduled-refresh"]).default("materialized-view"),
    /** Schedule of the leaderboard refresh (only with `leaderboard: "scheduled-refresh"`). */
    leaderboardSchedule: z.string().min(1).default("every 1 hours"),
    /** Whether scheduled-query runs publish a notification to an `elt-run-notifications` topic. */
    runNotifications: z.boolean().default(false),
  })
  .strict();

/** The windowed aggregates over wiki_staged (stacks/analytics.ts). */
const windows = z
  .object({
    /** Whether the stack deploys the windowed aggregates and their scheduled queries. */
    enabled: z.boolean().default(true),
    /** How late (behind the newest event time seen) an event may arrive and still update its window, in minutes. */
    allowedLatenessMinutes: z
      .number()
      .int()
      .min(0)
      .max(24 * 60)
      .default(10),
    /** Schedule of the incremental window runs, in the Data Transfer Service's syntax. */
    schedule: z.string().min(1).default("every 15 minutes"),
    /** Inactivity that ends an editing session, in minutes. */
    sessionGapMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(30),
  })
  .strict();

/** How the worker writes the raw table itself in `ingestion.mode: "direct"` (no Pub/Sub, no Dataflow). */
const direct = z
  .object({
    /**
     * The BigQuery API the worker streams rows with (its `SINK`):
     * - `storage-write` (default): the Storage Write API's default stream, Google's current
     *   recommendation for streaming and the cheapest per GB; at-least-once (duplicates on retry are
     *   removed by the staging load's de-duplication on `event_id`);
     * - `insert-all`: the legacy `tabledata.insertAll`, with `insertId` = the event id for BigQuery's
     *   best-effort de-duplication (about a minute); dearer per GB, kept for tools that only speak it.
     */
    api: z.enum(DIRECT_SINKS).default("storage-write"),
  })
  .strict();

/** Settings that only apply when events travel through Pub/Sub (modes `dataflow` and `bigquery-subscription`). */
const PUBSUB_ONLY_INGESTION_KEYS = [
  "dataflow",
  "maxDeliveryAttempts",
  "messageRetentionDuration",
  "topicSchema",
] as const;

/** How events get into the raw table: through Pub/Sub (Dataflow or a BigQuery subscription), or written by the worker itself. */
const ingestionSettings = z
  .object({
    /**
     * `dataflow`: topic → Dataflow template job → raw table; `bigquery-subscription`: topic → BigQuery
     * subscription → raw table; `direct`: the worker writes the raw table itself (`ingestion.direct.api`),
     * with no ingestion topic, subscription or job.
     */
    mode: z.enum(["dataflow", "bigquery-subscription", "direct"]).default("dataflow"),
    /** The direct path's settings (mode `direct` only). */
    direct: direct.default({}),
    dataflow: z
      .object({
        /** Worker machine type; default: the job construct's (n2-standard-2). */
        machineType: z.string().min(1).optional(),
        /** Dataflow autoscaling limit. */
        maxWorkers: z.number().int().min(1).max(1000).default(3),
        /** Run the job on Streaming Engine. */
        enableStreamingEngine: z.boolean().default(true),
        /** Release folder of the Google-provided template, e.g. 2025-01-07-00_RC00; default: the job construct's (latest). Production pins one. */
        templateVersion: z
          .string()
          .regex(
            /^(latest|\d{4}-\d{2}-\d{2}-\d{2}_RC\d{2})$/,
            "a template release such as 2025-01-07-00_RC00, or latest",
          )
          .optional(),
        /** VPC network of the workers; default: the project's default network. */
        network: z.string().min(1).optional(),
        /** Subnetwork of the workers, in `region` (regions/R/subnetworks/S); default: chosen by Dataflow. */
        subnetwork: z.string().min(1).optional(),
        /** WORKER_IP_PRIVATE keeps the workers off the internet (the subnetwork needs Private Google Access); production requires it. */
        ipConfiguration: z.enum(["WORKER_IP_PUBLIC", "WORKER_IP_PRIVATE"]).optional(),
      })
      .strict()
      .default({}),
    /** Dead-letter policy of the BigQuery subscription (mode `bigquery-subscription`); unused in mode `dataflow` (no dead-letter policy). */
    maxDeliveryAttempts: z.number().int().min(5).max(100).default(10),
    /** How long the topic and its subscription keep messages, in seconds such as "604800s"; default: the topic construct's (7 days). */
    messageRetentionDuration: z
      .string()
      .regex(/^[0-9]+s$/, "a duration in seconds, e.g. 604800s")
      .optional(),
    /** Attach an Avro schema (JSON encoding) generated from wiki_changes to the topic; the worker then publishes Avro JSON (MESSAGE_ENCODING=avro-json, set by the stack), and other publishers must too (see encodeAvroJson). */
    topicSchema: z.boolean().default(false),
    /**
     * Key for the regional ingestion resources (topics, the Dataflow job and its temp bucket), in `region`:
     * Cloud Storage needs the key where the bucket is. Defaults to the top-level kmsKeyName.
     */
    kmsKeyName: z.string().regex(KMS_KEY, "must be projects/P/locations/L/keyRings/R/cryptoKeys/K").optional(),
  })
  .strict();

/**
 * The ingestion section. The Pub/Sub-only keys are checked against the file as written (before
 * defaults are filled in), so that a `dataflow` section or a retention given in a `direct`
 * environment is refused instead of silently ignored. (A `direct` section in a Pub/Sub mode is
 * accepted and unused, as a `dataflow` section is with `bigquery-subscription`: switching modes is one key.)
 */
const ingestion = z.preprocess((raw, ctx) => {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return raw;
  const given = raw as Record<string, unknown>;
  const mode = given.mode ?? "dataflow";
  if (mode === "direct") {
    for (const key of PUBSUB_ONLY_INGESTION_KEYS) {
      if (given[key] === undefined || (key === "topicSchema" && given[key] === false)) continue;
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [key],
        message: `${JSON.stringify(given[key])} is refused with mode "direct": ${key} only applies when events travel through Pub/Sub (modes "dataflow" and "bigquery-subscription"); remove it`,
      });
    }
  }
  return raw;
}, ingestionSettings);

/** Page state as change data capture: raw.wiki_pages and the CDC topic the worker publishes page changes to. */
const cdc = z
  .object({
    /** max_staleness of raw.wiki_pages, in whole seconds (see recommendedMaxStaleness and sql/cdc/). */
    pagesMaxStalenessSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .default(600),
    /** Delivery attempts of the CDC subscription before a change is dead-lettered. */
    maxDeliveryAttempts: z.number().int().min(5).max(100).default(10),
  })
  .strict();

/** A BACKGROUND reservation for CDC apply jobs. */
const reservation = z
  .object({
    /** `ENTERPRISE` or `ENTERPRISE_PLUS`; `STANDARD` passes the schema but is refused at synthesis (no BACKGROUND assignments). */
    edition: z.enum(["STANDARD", "ENTERPRISE", "ENTERPRISE_PLUS"]),
    /**
     * Baseline slots, a multiple of 50, billed every hour busy or idle: 0 (autoscaling only) outside production
     * (policy FS-COST-1 warns otherwise); in production a baseline needs `baselineJustification`.
     */
    baselineSlots: z.number().int().min(0),
    /**
     * Why production pays for `baselineSlots` while idle: the stated assumption it rests on, and how to check it
     * (sql/cdc/reservation_sizing.sql). Required when `production` is true and `baselineSlots` is above 0.
     */
    baselineJustification: z.string().min(20, "state the assumption in a sentence (at least 20 characters)").optional(),
    /** Autoscaling slots on top of the baseline, a multiple of 50. */
    autoscaleMaxSlots: z.number().int().min(0).default(0),
    /** The project that owns the reservation; default: `projectId`. */
    adminProjectId: z.string().regex(PROJECT_ID, "must be a valid project id").optional(),
    /** Optional capacity commitment bought with the reservation (slots in multiples of 50). */
    capacityCommitment: z
      .object({
        /** Slots committed (multiples of 50). */
        slotCount: z.number().int().positive(),
        /** The commitment plan. */
        plan: z.enum(["ANNUAL", "THREE_YEAR"]).default("ANNUAL"),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The SSE publisher worker on Cloud Run (stacks/worker.ts, constructs/worker/). */
const worker = z
  .object({
    /** Whether the stack deploys the worker. */
    enabled: z.boolean().default(true),
    /**
     * What runs it: `worker-pool`, a Cloud Run worker pool (SsePublisherWorkerPool: billed less, no request
     * handling, no Cloud Run probes with the pinned provider), or `service`, an always-on Cloud Run service
     * (SsePublisherService: startup and liveness probes on /healthz).
     */
    host: z.enum(["worker-pool", "service"]).default("worker-pool"),
    /**
     * Image to run; default: app-worker:latest in the stack's own Artifact Registry repository (push one before the
     * first apply). With `production: true` it must name a digest, `IMAGE@sha256:<64 hex>` (a mutable tag is refused).
     */
    image: z.string().min(1).optional(),
    /** The event stream. */
    sseUrl: z.string().url().default(DEFAULT_SSE_URL),
    /** Sent to Wikimedia; default: the worker's, naming the project and a contact URL. */
    userAgent: z.string().min(1).optional(),
    /** Whole vCPUs (CPU is always allocated). */
    cpu: z.enum(["1", "2", "4"]).default("1"),
    /** Memory limit (at least 512Mi). */
    memory: z
      .string()
      .regex(/^[0-9]+(Mi|Gi)$/, "a size such as 512Mi or 1Gi")
      .default("512Mi"),
    /** The worker's log level. */
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
    /**
     * Extra worker environment variables (e.g. MAX_IN_FLIGHT_MESSAGES, START), checked at synth by the worker's own
     * parser; the variables the construct manages (PROJECT, TOPIC, SSE_URL, CHECKPOINT_PATH…) are refused.
     */
    environment: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "environment variable names use letters, digits and _"),
        z.string(),
      )
      .default({}),
    /** Key for the worker's repository, bucket and image when it must differ from kmsKeyName (regional resources need a regional key). */
    kmsKeyName: z.string().regex(KMS_KEY, "must be projects/P/locations/L/keyRings/R/cryptoKeys/K").optional(),
  })
  .strict();

/** Overrides of one alert's defaults (docs/alerts.md). */
const alertSettings = z
  .object({
    /** Whether the alert policy is created. */
    enabled: z.boolean().optional(),
    /** Threshold in the alert's unit (docs/alerts.md); checked by the construct against the alert's rule. */
    threshold: z.number().optional(),
    /** How long the condition must hold, in seconds such as "300s" (whole minutes). */
    duration: z
      .string()
      .regex(/^[0-9]+s$/, "a duration in seconds, e.g. 300s")
      .optional(),
  })
  .strict();

/** Alert policies, notification channels, dashboard and SQL health checks (stacks/monitoring.ts). */
const monitoring = z
  .object({
    /** Whether the stack creates the monitoring layer (health checks, dashboard, alerts). */
    enabled: z.boolean().default(true),
    /** Whether alert policies and notification channels are created (a local environment turns them off). */
    alerting: z.boolean().default(true),
    /** E-mail addresses notified by every alert (one e-mail channel each). */
    notificationEmails: z.array(z.string().email("must be an e-mail address")).default([]),
    /** Existing notification channels notified by every alert. */
    notificationChannelIds: z
      .array(
        z
          .string()
          .regex(
            /^projects\/[^/]+\/notificationChannels\/[0-9]+$/,
            "must be projects/<project>/notificationChannels/<number>",
          ),
      )
      .default([]),
    /** How long an incident without data stays open, in seconds such as "3600s" (30 minutes to 7 days). */
    autoClose: z
      .string()
      .regex(/^[0-9]+s$/, "a duration in seconds, e.g. 3600s")
      .default("3600s"),
    /** Schedule of the SQL health checks (freshness, quality, CDC staleness). */
    checkSchedule: z.string().min(1).default("every 10 minutes"),
    /** Per-alert overrides by alert id (docs/alerts.md): enabled, threshold, duration. */
    alerts: z
      .record(z.string().regex(/^[a-z][a-z0-9-]*$/, "an alert id such as dead-letters"), alertSettings)
      .default({}),
  })
  .strict();

/** Exceptions to the plan guard (`fresh-streams plan-guard --config`, docs/plan-guard.md). */
const planSafety = z
  .object({
    /**
     * Deletes and replacements the plan guard lets through, each `{ "address", "reason" }`: the resource address as
     * the plan names it, and why losing what it holds is acceptable (at least 10 characters). An entry that allows
     * nothing in a plan is reported as stale.
     */
    allow: z
      .array(
        z
          .object({
            address: z.string().trim().min(1, "the resource address the plan names, e.g. google_pubsub_topic.x"),
            reason: z
              .string()
              .trim()
              .min(
                MIN_ALLOW_REASON_LENGTH,
                `at least ${MIN_ALLOW_REASON_LENGTH} characters saying why losing what the resource holds is acceptable`,
              ),
          })
          .strict(),
      )
      .default([])
      .superRefine((entries, ctx) => {
        const seen = new Set<string>();
        entries.forEach((entry, i) => {
          if (seen.has(entry.address)) {
            ctx.addIssue({
              code: z.ZodIssueCode.custom,
              path: [i, "address"],
              message: `${entry.address} is allowed twice; keep one entry with one reason`,
            });
          }
          seen.add(entry.address);
        });
      }),
  })
  .strict();

/** Production pays for baseline slots while idle only with a stated reason (`reservation.baselineJustification`). */
function checkBaselineJustification(
  config: { production: boolean; reservation?: z.infer<typeof reservation> },
  ctx: z.RefinementCtx,
): void {
  const baseline = config.reservation?.baselineSlots ?? 0;
  if (!config.production || baseline === 0 || config.reservation?.baselineJustification) return;
  ctx.addIssue({
    code: z.ZodIssueCode.custom,
    path: ["reservation", "baselineJustification"],
    message: `is required in production with ${baseline} baseline slots: state the assumption that makes slots billed while idle worth it, or set baselineSlots to 0`,
  });
}

export const environmentConfigSchema = z
  .object({
    /** Google Cloud project id the stack deploys into. */
    projectId: z
      .string()
      .regex(PROJECT_ID, "must be 6-30 characters: lowercase letters, digits and hyphens, starting with a letter"),
    /** The project's number, for service-agent identities without a data source. */
    projectNumber: z.string().regex(PROJECT_NUMBER, 'must be the project\'s number, digits only, e.g. "123456789012"'),
    /** Default region for regional resources (Dataflow, Cloud Run, buckets). */
    region: z.string().regex(REGION, "must be a region name such as us-central1"),
    /** BigQuery location of the datasets and reservation. */
    location: z.string().regex(BIGQUERY_LOCATION, "must be US, EU or a region name such as europe-west1"),
    /** Whether this environment is production: stricter policy (deletion protection, no destroy of contents). */
    production: z.boolean().default(false),
    /** Deletion protection on tables and other stateful resources. */
    deletionProtection: z.boolean(),
    /** Labels on every resource that takes labels, at most 64 (env and app are added, via the provider's default_labels). */
    labels: labels.default({}),
    /** Prefix of every dataset name, e.g. "dev_". */
    datasetPrefix: z.string().regex(DATASET_PREFIX, "letters, digits and underscores only").default(""),
    /** Customer-managed encryption key for datasets, topics and buckets; required where `requireCmek` is true. */
    kmsKeyName: z.string().regex(KMS_KEY, "must be projects/P/locations/L/keyRings/R/cryptoKeys/K").optional(),
    /** Whether every encryptable resource must use `kmsKeyName`. */
    requireCmek: z.boolean().default(false),
    /** Where Terraform keeps state. */
    backend,
    ingestion: ingestion.default({}),
    elt: elt.default({}),
    windows: windows.default({}),
    reservation: reservation.optional(),
    cdc: cdc.default({}),
    worker: worker.default({}),
    monitoring: monitoring.default({}),
    planSafety: planSafety.default({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.requireCmek && !config.kmsKeyName) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["kmsKeyName"],
        message: "is required when requireCmek is true",
      });
    }
    checkBaselineJustification(config, ctx);
    if (config.production && !config.deletionProtection) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["deletionProtection"],
        message: "must be true in a production environment",
      });
    }
  });

/** One environment's validated settings, defaults filled in. */
export type EnvironmentConfig = z.infer<typeof environmentConfigSchema>;
/** An environment file as written, before defaults. */
export type EnvironmentConfigInput = z.input<typeof environmentConfigSchema>;
