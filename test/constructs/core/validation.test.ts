import { Duration } from "../../../constructs/core/duration";
import {
  serviceAccountIdFor,
  validateDuration,
  validateKmsKeyName,
  validateLabels,
  validateServiceAccountId,
} from "../../../constructs/core/validation";
import { SERVICE_ACCOUNT_ID } from "../../../schemas/naming";

describe("shared validation", () => {
  test("a KMS key's location is read from its name", () => {
    expect(validateKmsKeyName("s/c", "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k")).toBe("europe-west1");
    expect(() => validateKmsKeyName("s/c", "projects/p/keyRings/r/cryptoKeys/k")).toThrow(
      /^s\/c: kmsKeyName "projects\/p\/keyRings\/r\/cryptoKeys\/k" is invalid; expected projects\/P\/locations\/L/,
    );
  });

  test("service account ids derived from names are always valid and stable", () => {
    for (const name of ["StagingLoad", "wiki-changes-bigquery", "x", "a".repeat(80), "9-lives", "Dataflow Job!"]) {
      const id = serviceAccountIdFor(name);
      expect(id).toMatch(SERVICE_ACCOUNT_ID);
      expect(serviceAccountIdFor(name)).toBe(id);
    }
    expect(serviceAccountIdFor("sq-StagingLoad")).toBe("sq-staging-load");
    expect(serviceAccountIdFor("a".repeat(80))).not.toBe(serviceAccountIdFor("a".repeat(81)));
  });

  test("an invalid service account id names the value and the rule", () => {
    expect(() => validateServiceAccountId("s/c", "Bad_Id")).toThrow(
      /s\/c: serviceAccountId "Bad_Id" is not valid; use 6-30 lowercase letters, digits and hyphens/,
    );
  });

  test("labels follow Google Cloud's rules", () => {
    expect(() => validateLabels("s/c", { team: "data-platform", "cost-center": "x_1" })).not.toThrow();
    expect(() => validateLabels("s/c", { Team: "x" })).toThrow(/label key "Team" is invalid/);
    expect(() => validateLabels("s/c", { team: "Data" })).toThrow(/label "team" has value "Data"/);
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"]));
    expect(() => validateLabels("s/c", many)).toThrow(/has 65 labels; at most 64/);
  });

  test("durations are checked against a range and a unit", () => {
    const range = { min: Duration.minutes(10), max: Duration.days(31), rule: "Pub/Sub allows" };
    expect(validateDuration("s/c", "retention", Duration.days(7), range).toSeconds()).toBe(604_800);
    expect(() => validateDuration("s/c", "retention", Duration.days(32), range)).toThrow(
      "s/c: retention is 32 days; Pub/Sub allows 10 minutes to 31 days",
    );
    expect(() => validateDuration("s/c", "expiration", Duration.hours(36), { ...range, wholeUnit: "days" })).toThrow(
      /expiration is 1 day 12 hours; it must be a whole number of days/,
    );
    expect(() => validateDuration("s/c", "retention", "604800s" as unknown as Duration, range)).toThrow(
      /retention must be a Duration \(e.g. Duration.days\(7\)\), got "604800s"/,
    );
  });
});
