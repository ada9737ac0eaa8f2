/**
 * The action of one resource change, from the plan's `change.actions` and `previous_address`. Private to the
 * library.
 */
import { PlanFormatError, RawResourceChange } from "./plan-json";

/**
 * What Terraform would do to one resource: `replace` is a delete and a create in either order, `move` an unchanged
 * resource at a new address (an update in place at a new address stays `update`, with its previous address), and
 * `forget` a resource removed from state but left in the cloud (a `removed` block).
 */
export type PlanAction = "create" | "update" | "replace" | "delete" | "move" | "read" | "no-op" | "forget";

const SINGLE: Readonly<Record<string, PlanAction>> = {
  create: "create",
  update: "update",
  delete: "delete",
  read: "read",
  "no-op": "no-op",
  forget: "forget",
};

/** The action of a change; throws `PlanFormatError` on a list of actions Terraform does not write. */
export function actionOf(change: RawResourceChange): PlanAction {
  const actions = change.actions.join(",");
  if (actions === "delete,create" || actions === "create,delete") return "replace";
  const single = change.actions.length === 1 ? SINGLE[actions] : undefined;
  if (single === undefined) {
    throw new PlanFormatError(`${change.address}: unknown change.actions [${change.actions.join(", ")}]`);
  }
  return single === "no-op" && change.previousAddress !== undefined ? "move" : single;
}
