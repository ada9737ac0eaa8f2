// The jest matchers of cdktf's Testing helpers (toHaveResourceWithProperties, toBeValidTerraform, ...).
import "cdktf/lib/testing/adapters/jest";
