/**
 * scripts/ensure-provider.sh fetches the pinned provider with `terraform init` when its source
 * answers, and falls back to a build from source only when it does not. Offline and deterministic:
 * the "registry" is the user's own Terraform CLI configuration — a filesystem mirror offering
 * 6.50.0 (the locally built provider binary filed under that number) or a network mirror on a
 * closed port — and the build from source is one already cached.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureProvider } from "../../tools/validation/terraform";
import { ROOT } from "../support";

const script = path.join(ROOT, "scripts", "ensure-provider.sh");
let dir: string;
let builtBinary: string;
let address: string;

beforeAll(() => {
  const provider = ensureProvider(); // the shared cache: a provider built from source or fetched
  const mirror = path.join(path.dirname(provider.env.TF_CLI_CONFIG_FILE), "mirror");
  [builtBinary] = execFileSync(
    "find",
    [mirror, "-name", "terraform-provider-google*", "-path", `*/${provider.version}/*`],
    {
      encoding: "utf8",
    },
  ).split("\n");
  address = path.relative(mirror, builtBinary).split(path.sep).slice(0, 3).join("/"); // host/hashicorp/google
});
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "ensure-provider-"))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function ensure(cliConfig: string) {
  const run = spawnSync("bash", [script], {
    encoding: "utf8",
    env: { ...process.env, FRESH_STREAMS_CACHE: path.join(dir, "cache"), TF_CLI_CONFIG_FILE: cliConfig },
  });
  if (run.status !== 0) throw new Error(`ensure-provider.sh failed:\n${run.stderr}`);
  return run;
}

test("a provider source that answers: the pinned 6.50.0 is fetched, recorded as fetched, then reused", () => {
  const offered = path.join(dir, "offered", address, "6.50.0", "linux_amd64");
  fs.mkdirSync(offered, { recursive: true });
  fs.symlinkSync(builtBinary, path.join(offered, "terraform-provider-google_v6.50.0"));
  const config = path.join(dir, "user.tfrc");
  fs.writeFileSync(
    config,
    `provider_installation {\n  filesystem_mirror {\n    path = "${path.join(dir, "offered")}"\n  }\n}\n`,
  );

  const first = ensure(config);
  expect(first.stdout).toContain("FRESH_STREAMS_PROVIDER_VERSION=6.50.0");
  expect(first.stdout).toContain("FRESH_STREAMS_PROVIDER_HOW=fetched");
  expect(first.stderr).toContain("google provider 6.50.0 fetched into");
  expect(first.stderr).not.toContain("building");

  const second = ensure(config);
  expect(second.stderr).toMatch(/google provider 6.50.0 already in .* \(fetched: /);
});

test("a provider source that does not answer: the fetch fails fast and a cached build from source is kept", () => {
  const cache = path.join(dir, "cache", "provider");
  const built = path.join(cache, "mirror", address, "8.0.0", "linux_amd64");
  fs.mkdirSync(built, { recursive: true });
  fs.symlinkSync(builtBinary, path.join(built, "terraform-provider-google_v8.0.0"));
  fs.writeFileSync(path.join(cache, "terraform.rc"), "# seeded\n");
  // A build from source whose fetch was last tried long ago: due again.
  fs.writeFileSync(
    path.join(cache, "provider.env"),
    "PROVIDER_VERSION=8.0.0\nMODULE_VERSION=v0\nHOW=built\nWHY=seeded\nFETCH_TRIED_AT=0\n",
  );
  const config = path.join(dir, "user.tfrc");
  fs.writeFileSync(config, `provider_installation {\n  network_mirror {\n    url = "https://127.0.0.1:1/"\n  }\n}\n`);

  const run = ensure(config);
  expect(run.stderr).toContain("fetching hashicorp/google 6.50.0 with terraform init");
  expect(run.stderr).toMatch(/could not fetch hashicorp\/google 6.50.0 \(.+\); keeping 8.0.0 built from source/);
  expect(run.stdout).toContain("FRESH_STREAMS_PROVIDER_HOW=built");
  expect(fs.readFileSync(path.join(cache, "provider.env"), "utf8")).not.toContain("FETCH_TRIED_AT=0\n");
});
