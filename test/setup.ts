// cdktf's jest matchers (toHaveResourceWithProperties, toBeValidTerraform, ...): the import brings
// their types, setupJest() registers them for every test file.
import "cdktf/lib/testing/adapters/jest";
import { Testing } from "cdktf";

Testing.setupJest();

// The emulators need no credentials: keep the Google client libraries from probing for a GCE metadata server.
process.env.METADATA_SERVER_DETECTION ??= "none";
