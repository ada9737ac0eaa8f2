import { Analytics, WINDOW_TABLES } from "../../stacks/analytics";
import { synthEnvironment } from "../support";

const transfers = (json: any) => Object.values(json.resource.google_bigquery_data_transfer_config ?? {}) as any[];
const tables = (json: any) => Object.values(json.resource.google_bigquery_table ?? {}) as any[];

describe.each(["local", "dev", "prod"])("%s stack: the windowed aggregates", (name) => {
  const { stack, config, json } = synthEnvironment(name);

  test("three window tables and their late-events tables in reporting, one scheduled script each", () => {
    expect(stack.analytics).toBeInstanceOf(Analytics);
    const ids = tables(json).map((t) => t.table_id);
    for (const id of Object.values(WINDOW_TABLES))
      expect(ids).toEqual(expect.arrayContaining([id, `${id}_late_events`]));
    const windows = transfers(json).filter((t) => t.display_name.includes(" windows "));
    expect(windows.map((t) => t.schedule)).toEqual([
      config.windows.schedule,
      config.windows.schedule,
      config.windows.schedule,
    ]);
    for (const t of windows)
      expect(t.params.query).toContain(`INTERVAL ${config.windows.allowedLatenessMinutes * 60} SECOND`);
  });

  test("the deletion protection of the environment applies to the window tables", () => {
    const windowTables = tables(json).filter((t) =>
      Object.values(WINDOW_TABLES).some((id) => t.table_id.startsWith(id)),
    );
    expect(windowTables).toHaveLength(6);
    for (const t of windowTables) expect(t.deletion_protection).toBe(config.deletionProtection);
  });
});

test("windows settings: lateness, session gap and schedule from the config; windows.enabled = false removes them", () => {
  const { json } = synthEnvironment("dev", (c) => ({
    ...c,
    windows: { ...c.windows, allowedLatenessMinutes: 2, sessionGapMinutes: 45, schedule: "every 30 minutes" },
  }));
  const scripts = transfers(json).filter((t) => t.display_name.includes(" windows "));
  expect(scripts).toHaveLength(3);
  for (const t of scripts) {
    expect(t.schedule).toBe("every 30 minutes");
    expect(t.params.query).toContain("INTERVAL 120 SECOND");
  }
  expect(scripts.find((t) => t.display_name.includes("session")).params.query).toContain("<= 2700 * 1000000");

  const off = synthEnvironment("dev", (c) => ({ ...c, windows: { ...c.windows, enabled: false } }));
  expect(off.stack.analytics).toBeUndefined();
  expect(transfers(off.json).filter((t) => t.display_name.includes(" windows "))).toEqual([]);
});
