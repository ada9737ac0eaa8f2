/**
 * The one way the library's `grant*` methods create IAM bindings. Private to the library.
 *
 * Every grant is idempotent (granting the same role to the same grantee on the same resource
 * twice returns the first binding), named with one id scheme (`grant-<role>-<hash of the
 * grantee>`), and refused when the grantee is public or the role is a basic role.
 */
import { Construct, IConstruct } from "constructs";
import { TerraformResource, TerraformStack, Token } from "cdktf";
import { IGrantable } from "./principal";
import { shortHash, validateMember, validateRole } from "./validation";

const registries = new WeakMap<IConstruct, Map<string, TerraformResource>>();

/**
 * Grants `role` to `grantee` on the resource `scope` stands for, once.
 * @param scope the construct owning the binding (the granted resource's construct)
 * @param create makes the binding resource with the construct id and member it is given
 */
export function grantOnce<R extends TerraformResource>(
  scope: Construct,
  role: string,
  grantee: IGrantable,
  create: (id: string, member: string) => R,
): R {
  const path = scope.node.path;
  if (grantee === undefined || grantee === null || typeof grantee.grantPrincipal?.iamMember !== "string") {
    throw new Error(`${path}: a grant needs an IGrantable (a construct with a service account, or a Principal)`);
  }
  const member = grantee.grantPrincipal.iamMember;
  validateRole(path, role);
  validateMember(path, member);
  let registry = registries.get(scope);
  if (!registry) {
    registry = new Map();
    registries.set(scope, registry);
  }
  const key = `${role} ${granteeKey(grantee, registry.size)}`;
  const existing = registry.get(key);
  if (existing) return existing as R;
  const resource = create(`grant-${roleName(role)}-${shortHash(key)}`, member);
  registry.set(key, resource);
  return resource;
}

/**
 * What identifies a grantee stably: its member when it is a literal; the construct path of the
 * grantee when the member is a token (a service account created in the stack); else its position.
 */
function granteeKey(grantee: IGrantable, position: number): string {
  const member = grantee.grantPrincipal.iamMember;
  if (!Token.isUnresolved(member)) return member;
  if (Construct.isConstruct(grantee)) {
    const stackPath = TerraformStack.of(grantee).node.path;
    return `construct:${grantee.node.path.slice(stackPath.length + 1)}`;
  }
  return `position:${position}`;
}

/** `roles/bigquery.dataViewer` → `dataViewer`. */
function roleName(role: string): string {
  return Token.isUnresolved(role) ? "role" : role.replace(/^.*[/.]/, "");
}
