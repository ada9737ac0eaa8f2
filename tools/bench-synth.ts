/**
 * npm run bench:synth — how long synthesizing a stack with N StreamingTables takes.
 *
 * For N = 10, 100, 1,000 (or the counts given as arguments) it builds a stack with a
 * provider, one LayeredDataset and N partitioned, clustered StreamingTables, synthesizes
 * it to a temporary folder (exactly what `cdktf synth` does) and prints the seconds for
 * construction and synthesis, per table, and the growth ratio between consecutive sizes
 * (10× more tables should cost about 10× more time: near-linear growth).
 * A benchmark, not a test: it prints figures and never fails on them.
 *
 * `--no-source-maps` turns off Node's source-map support (which tsx turns on): cdktf
 * captures a stack trace for every token, and formatting those through source maps is
 * most of the construction time.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, TerraformStack } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { LayeredDataset } from "../constructs/bigquery/layered-dataset";
import { StreamingTable } from "../constructs/bigquery/streaming-table";
import { Duration } from "../constructs/core/duration";
import { Partitioning } from "../constructs/bigquery/table-options";
import { STREAMING_EVENTS_SCHEMA } from "../schemas";

interface Run {
  tables: number;
  constructSeconds: number;
  synthSeconds: number;
  totalSeconds: number;
  bytes: number;
}

function run(tables: number): Run {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-synth-"));
  try {
    const start = process.hrtime.bigint();
    const app = new App({ outdir, skipValidation: false });
    const stack = new TerraformStack(app, "bench");
    new GoogleProvider(stack, "google", { project: "bench-project", region: "us-central1" });
    const dataset = new LayeredDataset(stack, "raw", {
      datasetId: "bench_raw",
      layer: "raw",
      location: "US",
      project: "bench-project",
    });
    for (let i = 0; i < tables; i++) {
      new StreamingTable(stack, `events_${i}`, {
        dataset,
        tableId: `events_${i}`,
        schema: STREAMING_EVENTS_SCHEMA,
        partitioning: Partitioning.column("_inserted_at", "DAY"),
        clustering: ["user_id", "event_type"],
        partitionExpiration: Duration.days(365),
        deletionProtection: false,
      });
    }
    const built = process.hrtime.bigint();
    app.synth();
    const done = process.hrtime.bigint();
    const file = path.join(outdir, "stacks", "bench", "cdk.tf.json");
    const bytes = fs.statSync(file).size;
    const resources = Object.keys(JSON.parse(fs.readFileSync(file, "utf8")).resource.google_bigquery_table).length;
    if (resources !== tables) throw new Error(`expected ${tables} tables in the synthesized stack, found ${resources}`);
    return {
      tables,
      constructSeconds: Number(built - start) / 1e9,
      synthSeconds: Number(done - built) / 1e9,
      totalSeconds: Number(done - start) / 1e9,
      bytes,
    };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

function main(): void {
  const args = process.argv.slice(2);
  if (args.includes("--no-source-maps")) process.setSourceMapsEnabled(false);
  const sizes = args.map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const counts = sizes.length > 0 ? sizes : [10, 100, 1000];
  run(10); // warm-up: module loading and JIT, not measured
  const rows: Run[] = counts.map(run);
  const pad = (value: string, width: number) => value.padStart(width);
  const sourceMaps = args.includes("--no-source-maps") ? "off" : "on";
  console.log(
    `synthesis of a stack with N StreamingTables (node ${process.version}, ${os.cpus().length} CPUs, source maps ${sourceMaps})`,
  );
  console.log(
    ["tables", "construct s", "synth s", "total s", "ms/table", "output", "growth"]
      .map((h, i) => pad(h, i === 0 ? 7 : 12))
      .join(""),
  );
  rows.forEach((row, i) => {
    const previous = rows[i - 1];
    const growth = previous
      ? `${(row.totalSeconds / previous.totalSeconds).toFixed(1)}x for ${(row.tables / previous.tables).toFixed(0)}x`
      : "-";
    console.log(
      [
        pad(String(row.tables), 7),
        pad(row.constructSeconds.toFixed(3), 12),
        pad(row.synthSeconds.toFixed(3), 12),
        pad(row.totalSeconds.toFixed(3), 12),
        pad(((row.totalSeconds * 1000) / row.tables).toFixed(2), 12),
        pad(`${(row.bytes / 1024).toFixed(0)} KiB`, 12),
        pad(growth, 16),
      ].join(""),
    );
  });
  const largest = rows[rows.length - 1];
  console.log(`${largest.tables} tables: ${largest.totalSeconds.toFixed(2)} s (target: under 20 s)`);
}

main();
