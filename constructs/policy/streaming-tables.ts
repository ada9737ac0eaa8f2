import { IConstruct } from "constructs";
import { DefaultTokenResolver, StringConcat, TerraformStack, Token, Tokenization } from "cdktf";
import { StreamingTable } from "../bigquery/streaming-table";
import { PolicyAspect, PolicyFinding } from "./policy-aspect";
import { block, isKnown, PolicyResource, policyResource } from "./resource-attributes";
import { rulesOf } from "./rules";

const STREAMING_MARK = "fresh-streams:streaming-table";

/**
 * Declares that a table (a `StreamingTable`, or a `google_bigquery_table` resource, or a construct
 * containing one) is written by streaming, so that {@link StreamingTablesAspect} checks it.
 * `StreamingTable`s, targets of Pub/Sub BigQuery subscriptions and tables named in Dataflow job
 * parameters are recognised without it.
 */
export function markStreamingTable(table: IConstruct): void {
  table.node.addMetadata(STREAMING_MARK, true);
}

interface TableInfo {
  readonly resource: PolicyResource;
  /** Strings that name the table in a writer's configuration once resolved. */
  readonly names: string[];
}

interface StackFacts {
  readonly streamingTargets: Set<string>; // construct paths of tables written by streaming
  readonly writers: Map<string, string[]>; // table path -> why it counts as streaming-written
  readonly dmlWriters: Map<string, { path: string; query: string }[]>; // table path -> scheduled DML queries
}

/**
 * Tables written by streaming are partitioned, and `require_partition_filter` does not block
 * their writers:
 * - FS-STREAM-1: a table written by streaming (a `StreamingTable`, a {@link markStreamingTable marked}
 *   table, the target of a Pub/Sub BigQuery subscription, or a table named in a Dataflow job's
 *   parameters) has `time_partitioning` or `range_partitioning`, unless it is a CDC table (a primary
 *   key and `max_staleness`), whose changes are applied by key rather than appended;
 * - FS-STREAM-2: `require_partition_filter` is set at table level, not in the deprecated
 *   `time_partitioning.require_partition_filter`;
 * - FS-STREAM-3: when a table requires a partition filter, every scheduled query that writes it by DML
 *   (`MERGE`, `UPDATE`, `DELETE`) names its partition column, since BigQuery rejects a DML
 *   statement on such a table without a partition filter ("Cannot query over table … without a
 *   filter over column(s) … that can be used for partition elimination"). Streaming writers
 *   (Storage Write API, BigQuery subscriptions, Dataflow) run no query and are not affected.
 */
export class StreamingTablesAspect extends PolicyAspect {
  public readonly name = "streaming-tables";
  public readonly rules = rulesOf("StreamingTablesAspect");
  private readonly facts = new WeakMap<TerraformStack, StackFacts>();

  protected check(resource: PolicyResource): PolicyFinding[] {
    if (resource.type !== "google_bigquery_table") return [];
    const { attributes } = resource;
    if (attributes.view !== undefined || attributes.materialized_view !== undefined) return [];
    const facts = this.factsOf(TerraformStack.of(resource.construct));
    const findings: PolicyFinding[] = [];
    const timePartitioning = block(attributes.time_partitioning);
    const partitioned = attributes.time_partitioning !== undefined || attributes.range_partitioning !== undefined;

    // A CDC table (primary key and max_staleness) is applied by key, not appended to: partitioning is optional.
    const cdcTable =
      block(attributes.table_constraints)?.primary_key !== undefined && attributes.max_staleness !== undefined;
    if (facts.streamingTargets.has(resource.path) && !partitioned && !cdcTable) {
      const why = facts.writers.get(resource.path) ?? [];
      findings.push({
        rule: "FS-STREAM-1",
        message: `is written by streaming (${why.join("; ")}) but is not partitioned: add time_partitioning (ingestion time or a timestamp column) or range_partitioning`,
      });
    }
    if (timePartitioning && timePartitioning.require_partition_filter !== undefined) {
      findings.push({
        rule: "FS-STREAM-2",
        message:
          "sets time_partitioning.require_partition_filter, which is deprecated: set the table-level require_partition_filter instead",
      });
    }
    const requireFilter =
      attributes.require_partition_filter === true || timePartitioning?.require_partition_filter === true;
    if (requireFilter && partitioned) {
      const column = partitionColumns(attributes);
      for (const writer of facts.dmlWriters.get(resource.path) ?? []) {
        if (!column.some((c) => new RegExp(`\\b${c}\\b`, "i").test(writer.query))) {
          findings.push({
            rule: "FS-STREAM-3",
            message: `requires a partition filter, and scheduled query ${writer.path} writes it by DML without naming its partition column ${column[0]}: BigQuery would reject every run; filter the target on ${column[0]} or drop require_partition_filter`,
          });
        }
      }
    }
    return findings;
  }

  private factsOf(stack: TerraformStack): StackFacts {
    let facts = this.facts.get(stack);
    if (facts) return facts;
    const resolve = (value: unknown): string => {
      try {
        const resolved = Tokenization.resolve(value, {
          scope: stack,
          resolver: new DefaultTokenResolver(new StringConcat()),
        });
        return typeof resolved === "string" ? resolved : JSON.stringify(resolved ?? "");
      } catch {
        return "";
      }
    };
    const resources = stack.node
      .findAll()
      .map(policyResource)
      .filter((r): r is PolicyResource => r !== undefined);
    // Literal dataset ids by reference, to recognise "project.dataset.table" strings built from literals.
    const datasetIds = new Map<string, string>();
    for (const r of resources.filter((x) => x.type === "google_bigquery_dataset")) {
      const id = r.attributes.dataset_id;
      if (isKnown(id) && typeof id === "string")
        datasetIds.set(`\${${resolve(r.construct.fqn).replace(/^\$\{|\}$/g, "")}.dataset_id}`, id);
    }
    const tables: TableInfo[] = resources
      .filter((r) => r.type === "google_bigquery_table")
      .map((r) => {
        const logicalId = resolve(r.construct.fqn).replace(/^\$\{|\}$/g, ""); // google_bigquery_table.<id>
        const dataset = resolve(r.attributes.dataset_id);
        const table = resolve(r.attributes.table_id);
        const names = [`${logicalId}.`, `${dataset}.${table}`];
        const literalDataset = datasetIds.get(dataset);
        if (literalDataset) names.push(`${literalDataset}.${table}`);
        return { resource: r, names };
      });
    const mentions = (text: string, name: string) =>
      name.length > 1 &&
      new RegExp(
        `(?<![A-Za-z0-9_-])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}${name.endsWith(".") ? "" : "(?![A-Za-z0-9_])"}`,
      ).test(text);
    const tablesIn = (text: string) => tables.filter((t) => t.names.some((n) => mentions(text, n)));

    facts = { streamingTargets: new Set(), writers: new Map(), dmlWriters: new Map() };
    const addWriter = (table: TableInfo, why: string) => {
      facts!.streamingTargets.add(table.resource.path);
      facts!.writers.set(table.resource.path, [...(facts!.writers.get(table.resource.path) ?? []), why]);
    };
    for (const t of tables) {
      const marked = (c: IConstruct | undefined): boolean =>
        !!c &&
        c !== stack &&
        (c instanceof StreamingTable || c.node.metadata.some((m) => m.type === STREAMING_MARK) || marked(c.node.scope));
      if (marked(t.resource.construct)) addWriter(t, "declared as a streaming table");
    }
    for (const r of resources) {
      if (r.type === "google_pubsub_subscription") {
        const config = block(r.attributes.bigquery_config);
        if (config) for (const t of tablesIn(resolve(config.table))) addWriter(t, `BigQuery subscription ${r.path}`);
      } else if (r.type === "google_dataflow_job" || r.type === "google_dataflow_flex_template_job") {
        for (const t of tablesIn(resolve(r.attributes.parameters))) addWriter(t, `Dataflow job ${r.path}`);
      } else if (r.type === "google_bigquery_data_transfer_config") {
        const params = r.attributes.params as Record<string, unknown> | undefined;
        const query = params && !Token.isUnresolved(params) ? resolve(params.query) : "";
        const statements = query.replace(/--[^\n]*/g, " ").replace(/\/\*[\s\S]*?\*\//g, " ");
        // The DML target: a name of backticked and/or bare parts, e.g. `p`.`d`.`t`, `p.d.t` or p.d.t.
        const dml =
          /\b(?:MERGE(?:\s+INTO)?|UPDATE|DELETE(?:\s+FROM)?)\s+((?:`[^`]+`|[\w${}.-]+)(?:\.(?:`[^`]+`|[\w${}-]+))*)/gi;
        for (const match of statements.matchAll(dml)) {
          for (const t of tablesIn(match[1].replace(/`/g, ""))) {
            const list = facts.dmlWriters.get(t.resource.path) ?? [];
            list.push({ path: r.path, query: statements });
            facts.dmlWriters.set(t.resource.path, list);
          }
        }
      }
    }
    this.facts.set(stack, facts);
    return facts;
  }
}

/** The names a partition filter can use: the partitioning column, or the ingestion-time pseudo-columns. */
function partitionColumns(attributes: Record<string, unknown>): string[] {
  const time = block(attributes.time_partitioning);
  const range = block(attributes.range_partitioning);
  const field = (time?.field ?? range?.field) as unknown;
  if (isKnown(field) && typeof field === "string") return [field];
  return ["_PARTITIONTIME", "_PARTITIONDATE"];
}
