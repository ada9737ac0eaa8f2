// cdktf's jest matchers (toHaveResourceWithProperties, toBeValidTerraform, ...): the import brings
// their types, setupJest() registers them for every test file.
import "cdktf/lib/testing/adapters/jest";
import { Testing } from "cdktf";

Testing.setupJest();
