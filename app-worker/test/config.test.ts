import * as path from "node:path";
import { DEFAULT_SSE_URL, DEFAULT_USER_AGENT, parseConfig } from "../src/config";

describe("worker configuration", () => {
  test("defaults: only PROJECT and TOPIC are required", () => {
    const { config, problems } = parseConfig({ PROJECT: "my-project", TOPIC: "wiki-changes" }, [], "/srv");
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      project: "my-project",
      topic: "wiki-changes",
      sseUrl: DEFAULT_SSE_URL,
      userAgent: DEFAULT_USER_AGENT,
      checkpointPath: path.resolve("/srv/.checkpoint/recentchange.json"),
      metricsPort: 9464,
    });
  });

  test("flags mirror the environment variables and win over them", () => {
    const { config } = parseConfig({ PROJECT: "my-project", TOPIC: "wiki-changes" }, [
      "--topic=other-topic",
      "--metrics-port",
      "0",
    ]);
    expect(config).toMatchObject({ topic: "other-topic", metricsPort: 0 });
  });

  test("a full topic name sets the project", () => {
    expect(parseConfig({ TOPIC: "projects/my-project/topics/wiki-changes" }).config).toMatchObject({
      project: "my-project",
      topic: "wiki-changes",
    });
  });

  test("SINCE accepts ISO-8601 or Unix milliseconds", () => {
    expect(parseConfig({ PROJECT: "my-project", TOPIC: "abc", SINCE: "1717243200000" }).config?.since).toBe(
      "2024-06-01T12:00:00.000Z",
    );
    expect(parseConfig({ PROJECT: "my-project", TOPIC: "abc", SINCE: "2024-06-01T12:00:00Z" }).config?.since).toBe(
      "2024-06-01T12:00:00.000Z",
    );
  });

  test("every problem is reported, one line each", () => {
    const { config, problems } = parseConfig(
      {
        TOPIC: "x",
        SSE_URL: "not a url",
        METRICS_PORT: "-1",
        PUBSUB_EMULATOR_HOST: "localhost",
        SINCE: "whenever",
        LOG_LEVEL: "loud",
        BACKOFF_INITIAL_MS: "5000",
        BACKOFF_MAX_MS: "100",
      },
      ["--colour=red"],
    );
    expect(config).toBeUndefined();
    expect(problems).toEqual([
      expect.stringMatching(/^unknown flag --colour/),
      "PROJECT: is required (the Google Cloud project of the topic)",
      'TOPIC: "x" is not a valid topic id (3-255 characters, starting with a letter, not with "goog")',
      'SSE_URL: "not a url" is not a URL',
      'METRICS_PORT: "-1" is not an integer between 0 and 65535',
      'PUBSUB_EMULATOR_HOST: "localhost" must be host:port, e.g. 127.0.0.1:8085',
      'SINCE: "whenever" is neither an ISO-8601 time nor Unix milliseconds',
      'LOG_LEVEL: "loud" must be one of fatal, error, warn, info, debug, trace, silent',
      "BACKOFF_MAX_MS: 100 is below BACKOFF_INITIAL_MS (5000)",
    ]);
  });
});
