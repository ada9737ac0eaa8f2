import { WORKER_ENV_VARIABLES } from "../../schemas/worker-contract";
import { parseWorkerSettings, WORKER_SETTING_RULES } from "../../schemas/worker-settings";

describe("the worker's settings rules", () => {
  test("every variable of the worker's contract is read by a rule (an unread one would be ignored silently)", () => {
    const read = new Set(WORKER_SETTING_RULES.flatMap((rule) => rule.variables));
    expect(WORKER_ENV_VARIABLES.filter((name) => !read.has(name))).toEqual([]);
    expect([...read].filter((name) => !(WORKER_ENV_VARIABLES as readonly string[]).includes(name))).toEqual([]);
  });

  test("a relation compares the default of a refused integer, and a skipped variable is neither checked nor required", () => {
    const base = { PROJECT: "my-project", TOPIC: "wiki-changes" };
    expect(parseWorkerSettings({ ...base, BACKOFF_INITIAL_MS: "soon", BACKOFF_MAX_MS: "500" }).problems).toEqual([
      'BACKOFF_INITIAL_MS: "soon" is not an integer between 1 and 600000',
      "BACKOFF_MAX_MS: 500 is below BACKOFF_INITIAL_MS (1000)",
    ]);
    const skipped = parseWorkerSettings({ PROJECT: "my-project", IDLE_TIMEOUT_MS: "${token}" }, [], {
      skip: new Set(["TOPIC", "IDLE_TIMEOUT_MS"]),
    });
    expect(skipped.problems).toEqual([]);
    expect(skipped.settings).toMatchObject({ topic: "", idleTimeoutMs: 60_000 });
  });

  test("MESSAGE_ENCODING: json by default, avro-json for a topic with the generated Avro schema, refused otherwise", () => {
    const base = { PROJECT: "my-project", TOPIC: "wiki-changes" };
    expect(parseWorkerSettings(base).settings?.messageEncoding).toBe("json");
    expect(parseWorkerSettings({ ...base, MESSAGE_ENCODING: "avro-json" }).settings?.messageEncoding).toBe("avro-json");
    expect(parseWorkerSettings(base, ["--message-encoding=avro-json"]).settings?.messageEncoding).toBe("avro-json");
    expect(parseWorkerSettings({ ...base, MESSAGE_ENCODING: "avro" }).problems).toEqual([
      'MESSAGE_ENCODING: "avro" must be one of json, avro-json',
    ]);
    const direct = { PROJECT: "my-project", SINK: "storage-write", TABLE: "raw.wiki_changes" };
    expect(parseWorkerSettings({ ...direct, MESSAGE_ENCODING: "json" }).problems).toEqual([]);
    expect(parseWorkerSettings({ ...direct, MESSAGE_ENCODING: "avro-json" }).problems).toEqual([
      "MESSAGE_ENCODING: avro-json is set but SINK=storage-write writes BigQuery rows, not Pub/Sub messages; unset MESSAGE_ENCODING, or set SINK=pubsub",
    ]);
  });
});
