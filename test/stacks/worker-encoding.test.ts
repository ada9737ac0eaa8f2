import { avroDefinitionFromTableSchema } from "../../schemas/avro";
import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";
import { synthEnvironment as synthAs } from "../support";

/** The worker container's env, on whichever host the stack runs it (a worker pool or a service, never both). */
const workerEnv = (json: any): { name: string; value: string }[] => {
  const hosts = [
    ...Object.values(json.resource.google_cloud_run_v2_worker_pool ?? {}),
    ...Object.values(json.resource.google_cloud_run_v2_service ?? {}),
  ] as any[];
  expect(hosts).toHaveLength(1);
  return hosts[0].template.containers[0].env;
};

/** With `ingestion.topicSchema`, the worker publishes the Avro JSON the topic's schema asks for, on either host. */
describe.each(["worker-pool", "service"] as const)("worker message encoding in the stack (host %s)", (host) => {
  const synth = (env: string, change: (c: any) => any = (c) => c) =>
    synthAs(env, (c) => change({ ...c, worker: { ...c.worker, host } }));

  test("topicSchema true: the worker gets MESSAGE_ENCODING=avro-json, and the topic's schema is the one it encodes against", () => {
    const { json } = synth("dev", (c) => ({ ...c, ingestion: { ...c.ingestion, topicSchema: true } }));
    expect(workerEnv(json)).toContainEqual({ name: "MESSAGE_ENCODING", value: "avro-json" });
    const schemas = Object.values(json.resource.google_pubsub_schema) as any[];
    expect(schemas.map((s) => [s.type, s.definition])).toEqual([
      ["AVRO", avroDefinitionFromTableSchema(WIKI_CHANGES_SCHEMA)],
    ]);
  });

  test("topicSchema true wins over a MESSAGE_ENCODING given in worker.environment", () => {
    const { json } = synth("dev", (c) => ({
      ...c,
      ingestion: { ...c.ingestion, topicSchema: true },
      worker: { ...c.worker, environment: { ...c.worker.environment, MESSAGE_ENCODING: "json" } },
    }));
    expect(workerEnv(json).filter((e) => e.name === "MESSAGE_ENCODING")).toEqual([
      { name: "MESSAGE_ENCODING", value: "avro-json" },
    ]);
  });

  test("topicSchema false (the default): no MESSAGE_ENCODING, the worker publishes plain JSON", () => {
    const { config, json } = synth("dev");
    expect(config.worker.host).toBe(host);
    expect(config.ingestion.topicSchema).toBe(false);
    expect(workerEnv(json).map((e) => e.name)).not.toContain("MESSAGE_ENCODING");
    expect(json.resource.google_pubsub_schema).toBeUndefined();
  });
});
