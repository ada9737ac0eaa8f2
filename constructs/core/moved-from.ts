/**
 * Refactoring without loss: keep every resource of a construct that moved or was renamed.
 *
 * cdktf derives a resource's Terraform address from its construct path below the stack
 * (`TerraformStack.allocateLogicalId`: the ids of the path, joined, plus a hash of them), so a
 * construct that moves under another parent, or whose id changes, gives every resource beneath it a
 * new address: Terraform plans to destroy the old resources and create new ones (a table's rows, a
 * subscription's backlog, a bucket's objects lost). cdktf's move support (`moveFromId`, which writes a
 * Terraform `moved` block) keeps them, one resource at a time; {@link movedFrom} does it for a whole
 * construct.
 */
import { IConstruct, Node } from "constructs";
import { Aspects, IAspect, TerraformResource, TerraformStack } from "cdktf";

/** One address change {@link movedFrom} declares. */
export interface ResourceMove {
  /** The address the resource had under the former path, e.g. `google_bigquery_table.Warehouse_Raw_Table_1A2B3C4D`. */
  readonly from: string;
  /** Its address now. */
  readonly to: string;
}

const SEPARATOR = "/";

/** The ids of `node`'s path below its stack. */
function idsBelowStack(node: Node, stack: TerraformStack): string[] {
  const scopes = node.scopes;
  return scopes.slice(scopes.indexOf(stack) + 1).map((scope) => scope.node.id);
}

/** The address a resource would have if `ids` were its path below `stack`. */
function addressAt(stack: TerraformStack, resource: TerraformResource, ids: string[]): string {
  // getLogicalId reads nothing but `scopes[i].node.id` of a node; a stack that overrides
  // allocateLogicalId is honoured, since getLogicalId calls it.
  const scopes = [stack, ...ids.map((id) => ({ node: { id } }))];
  const logicalId = stack.getLogicalId({ scopes } as unknown as Node);
  return `${resource.terraformResourceType}.${logicalId}`;
}

class MovedFromAspect implements IAspect {
  readonly moves: ResourceMove[] = [];

  constructor(
    private readonly construct: IConstruct,
    private readonly formerIds: string[],
  ) {}

  visit(node: IConstruct): void {
    if (!TerraformResource.isTerraformResource(node)) return;
    const stack = TerraformStack.of(node);
    const below = idsBelowStack(node.node, stack);
    const constructDepth = idsBelowStack(this.construct.node, stack).length;
    const from = addressAt(stack, node, [...this.formerIds, ...below.slice(constructDepth)]);
    const to = `${node.terraformResourceType}.${node.friendlyUniqueId}`;
    if (from === to || this.moves.some((move) => move.to === to)) return;
    node.moveFromId(from);
    this.moves.push({ from, to });
  }
}

/**
 * Declares that `construct` used to live at `formerPath` (its construct path below the stack, ids
 * joined by "/", e.g. `"Warehouse/RawEvents"`): every resource beneath it, those added later
 * included, gets a `moved` block from its former address to its new one, so the next plan moves
 * the resources instead of destroying and creating them. Applied when the stack is synthesized (an
 * Aspect); returns the moves, filled in then, for reports and tests.
 *
 * Keep it until every environment has been deployed once with the new path, then remove it (a
 * `moved` block whose former address no longer exists in the state is a no-op).
 *
 * Limits: the former path must be in the same stack (a move between stacks is a state migration:
 * `terraform state mv` between state files); a resource whose logical id was set with
 * `overrideLogicalId` keeps its address anyway and gets no move. A physical name derived from a
 * construct id still changes with the id: construct props that name resources (`tableId`,
 * `topicName`…) must keep their former value, or the provider replaces the resource.
 *
 * @param construct the construct at its new place.
 * @param formerPath its former path below the stack, ids joined by "/".
 */
export function movedFrom(construct: IConstruct, formerPath: string): ResourceMove[] {
  const formerIds = formerPath.split(SEPARATOR);
  if (formerPath.length === 0 || formerIds.some((id) => id.length === 0)) {
    throw new Error(
      `${construct.node.path}: movedFrom path "${formerPath}" is not a construct path; ` +
        `give the former path below the stack, construct ids joined by "${SEPARATOR}" (e.g. "Warehouse/RawEvents")`,
    );
  }
  const stack = TerraformStack.of(construct);
  if (formerIds.join(SEPARATOR) === idsBelowStack(construct.node, stack).join(SEPARATOR)) {
    throw new Error(
      `${construct.node.path}: movedFrom path "${formerPath}" is where the construct already is; ` +
        `give the path it had before it moved`,
    );
  }
  const aspect = new MovedFromAspect(construct, formerIds);
  Aspects.of(construct).add(aspect);
  return aspect.moves;
}
