import { summaryLine, unexplainedFindings } from "../../tools/validation/checkov-report";

// A Checkov report of two failed checks, one of which the baseline explains.
const report = {
  summary: { passed: 40 },
  results: {
    failed_checks: [
      { check_id: "CKV_GCP_81", check_name: "CMEK on tables", resource: "google_bigquery_table.t1" },
      { check_id: "CKV_GCP_83", check_name: "CMEK on topics", resource: "google_pubsub_topic.t2" },
    ],
  },
};
const reason = "tables are encrypted with Google-managed keys in this environment";

test("the summary counts what fails the scan apart from what the baseline explains", () => {
  const counts = unexplainedFindings(
    "dev",
    "/nonexistent/cdk.tf.json",
    [report],
    [{ check: "CKV_GCP_81", resource: "google_bigquery_table.*", reason }],
  );
  expect(summaryLine("dev", counts)).toBe(
    "checkov [dev]: 40 passed, 1 failing the scan, 1 explained by the baseline (.checkov-baseline.json)",
  );
});

test("findings the baseline explains are not reported as failures", () => {
  const counts = unexplainedFindings(
    "dev",
    "/nonexistent/cdk.tf.json",
    [report],
    [
      { check: "CKV_GCP_81", resource: "*", reason },
      { check: "CKV_GCP_83", resource: "*", reason },
    ],
  );
  const line = summaryLine("dev", counts);
  expect(line).toContain("0 failing the scan, 2 explained by the baseline");
  expect(line).not.toMatch(/\bfailed\b/);
});
