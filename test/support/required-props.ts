/**
 * The required props of every construct the package exports, read from the declarations with the
 * TypeScript compiler: for each exported class that extends `Construct` and can be instantiated,
 * the names of the props (third constructor parameter) that are not optional, and of the required members of its
 * options objects (`destination.dataset`: required whenever `destination` is given). Tests use it to
 * prove that a plain-JavaScript caller leaving one out gets a synthesis error, not `undefined` in
 * the Terraform.
 */
import * as path from "node:path";
import * as ts from "typescript";

/** An exported construct class and the props its constructor requires. */
export interface ConstructRequirements {
  readonly construct: string;
  readonly required: readonly string[];
}

/** Reads the package entry `constructs/index.ts` and lists every exported, instantiable construct. */
export function exportedConstructRequirements(root: string): ConstructRequirements[] {
  const entry = path.join(root, "constructs/index.ts");
  const program = ts.createProgram([entry], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (source === undefined) throw new Error(`cannot read ${entry}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) throw new Error(`${entry} is not a module`);
  const result: ConstructRequirements[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declaration = symbol.declarations?.find(ts.isClassDeclaration);
    if (declaration === undefined || !extendsConstruct(checker, declaration)) continue;
    if (ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Abstract) continue;
    const constructor = declaration.members.find(ts.isConstructorDeclaration);
    const propsParameter = constructor?.parameters[2];
    if (propsParameter === undefined) continue;
    const propsType = checker.getTypeAtLocation(propsParameter);
    const required = [
      ...requiredProperties(propsType),
      ...checker.getPropertiesOfType(propsType).flatMap((property) => {
        const type = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(property, propsParameter));
        return isOptionsObject(type) ? requiredProperties(type).map((name) => `${property.name}.${name}`) : [];
      }),
    ].sort();
    result.push({ construct: exported.name, required });
  }
  return result.sort((a, b) => a.construct.localeCompare(b.construct));
}

/** The names of the properties of `type` that are not optional. */
function requiredProperties(type: ts.Type): string[] {
  return type
    .getProperties()
    .filter((property) => (property.flags & ts.SymbolFlags.Optional) === 0)
    .map((property) => property.name);
}

/**
 * Whether a prop's type is an options object whose own required props are checked too (`destination`,
 * `capacityCommitment`): an interface, not a reference to another construct (`ITable`, `IDataset`) nor an array.
 */
function isOptionsObject(type: ts.Type): boolean {
  const symbol = type.getSymbol();
  if (symbol === undefined || (symbol.flags & ts.SymbolFlags.Interface) === 0) return false;
  return !/^I[A-Z]/.test(symbol.name) && !/Array$/.test(symbol.name);
}

function extendsConstruct(checker: ts.TypeChecker, declaration: ts.ClassDeclaration): boolean {
  let type: ts.Type | undefined = checker.getTypeAtLocation(declaration);
  while (type !== undefined) {
    if (type.getSymbol()?.name === "Construct") return true;
    const bases: ts.BaseType[] = type.isClassOrInterface() ? checker.getBaseTypes(type) : [];
    type = bases[0];
  }
  return false;
}
