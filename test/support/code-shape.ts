/**
 * Measures of the shape of `src/` that the code-shape test holds to targets:
 * function length, type assertions (`x as T`, `<T>x`) and non-null
 * assertions (`x!`), counted on the TypeScript AST.
 */
import * as ts from 'typescript';

/** A function-like node longer than a limit. */
export interface LongFunction {
  readonly file: string;
  readonly name: string;
  readonly line: number;
  readonly lines: number;
}

/** What one file contains. */
export interface CodeShape {
  readonly longFunctions: LongFunction[];
  /** Type assertions other than `as const`, as `file:line`. */
  readonly typeAssertions: string[];
  /** Non-null assertions, as `file:line`. */
  readonly nonNullAssertions: string[];
}

function functionName(node: ts.Node): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name && ts.isIdentifier(named.name)) {
    return named.name.text;
  }
  if (ts.isConstructorDeclaration(node)) {
    return 'constructor';
  }
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) {
    return parent.name.text;
  }
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) {
    return parent.name.text;
  }
  return '(anonymous)';
}

/** Shape of one file's text. */
export function codeShape(file: string, text: string, maxFunctionLines: number): CodeShape {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const shape: CodeShape = { longFunctions: [], typeAssertions: [], nonNullAssertions: [] };
  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = lineOf(node.getStart(sf));
      const lines = lineOf(node.end) - start + 1;
      if (lines > maxFunctionLines) {
        shape.longFunctions.push({ file, name: functionName(node), line: start, lines });
      }
    }
    if ((ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) && !(ts.isTypeReferenceNode(node.type) && node.type.getText(sf) === 'const')) {
      shape.typeAssertions.push(`${file}:${lineOf(node.getStart(sf))}`);
    }
    if (ts.isNonNullExpression(node)) {
      shape.nonNullAssertions.push(`${file}:${lineOf(node.getStart(sf))}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return shape;
}
