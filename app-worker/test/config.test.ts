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

  test("START: fail by default; live; since:<ISO-8601 or Unix milliseconds>", () => {
    const start = (value?: string) => parseConfig({ PROJECT: "my-project", TOPIC: "abc", START: value }).config?.start;
    expect(start()).toEqual({ kind: "fail" });
    expect(start("live")).toEqual({ kind: "live" });
    expect(start("since:1717243200000")).toEqual({ kind: "since", since: "2024-06-01T12:00:00.000Z" });
    expect(start("since:2024-06-01T12:00:00Z")).toEqual({ kind: "since", since: "2024-06-01T12:00:00.000Z" });
  });

  test("the dead-letter folder defaults to dead-letter/ beside the checkpoint", () => {
    expect(
      parseConfig({ PROJECT: "my-project", TOPIC: "abc", CHECKPOINT_PATH: "/data/cp.json" }).config?.deadLetterPath,
    ).toBe(path.resolve("/data/dead-letter"));
  });

  test("USER_AGENT must be a valid header value: printable ASCII, refused with the character and its position", () => {
    const { problems } = parseConfig({
      PROJECT: "my-project",
      TOPIC: "abc",
      USER_AGENT: "fresh-streams \u2013 demo (ops@example.org)",
    });
    expect(problems).toEqual([
      'USER_AGENT: contains "\u2013" (U+2013) at position 14: HTTP header values must be printable ASCII (space to ~)',
    ]);
    expect(parseConfig({ PROJECT: "my-project", TOPIC: "abc", USER_AGENT: "a\nb" }).problems).toHaveLength(1);
  });

  test("every problem is reported, one line each", () => {
    const { config, problems } = parseConfig(
      {
        TOPIC: "x",
        SSE_URL: "not a url",
        METRICS_PORT: "-1",
        PUBSUB_EMULATOR_HOST: "localhost",
        START: "whenever",
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
      'START: "whenever" must be live, fail or since:<time> (ISO-8601 or Unix milliseconds, e.g. since:2024-06-01T12:00:00Z)',
      'LOG_LEVEL: "loud" must be one of fatal, error, warn, info, debug, trace, silent',
      "BACKOFF_MAX_MS: 100 is below BACKOFF_INITIAL_MS (5000)",
    ]);
  });
});
