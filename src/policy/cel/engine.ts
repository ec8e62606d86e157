/**
 * CEL for Kyverno's ImageValidatingPolicies, on @marcbachmann/cel-js (pure JavaScript, optional types,
 * `cel.bind`, a type checker). The package is loaded when the first CEL policy is, not on every command.
 *
 * Expressions are parsed and type-checked when the policy loads; a mistake is reported with the policy, the
 * field path and the column (`policy.yaml: document 1: spec.validations[0].expression: column 12: ...`).
 * CEL's `matches` is re-pointed at Go's regular expressions (RE2), as cel-go reads it.
 */
import type * as CelJs from '@marcbachmann/cel-js';
import { compileGoRegexp, lazyRequire, SigilError } from '../../core/index.js';

export type CelModule = typeof CelJs;
export type CelEnvironment = CelJs.Environment;
type ASTNode = CelJs.ASTNode;

/** cel-js is ~150 KB of JavaScript that only CEL policies need. */
export const loadCel = lazyRequire<CelModule>('@marcbachmann/cel-js');

/**
 * Bounds on what one expression may be, checked when it is parsed: with no loops in CEL, the work of an
 * evaluation is bounded by the expression's size and nesting times the size of its input, and the input (an
 * admission request) is bounded by the API server. Kubernetes' own cost estimator works on the same terms.
 */
export const CEL_LIMITS = {
  maxAstNodes: 2_000,
  maxDepth: 32,
  maxListElements: 256,
  maxMapEntries: 256,
  maxCallArguments: 16,
} as const;

/**
 * How deep comprehensions (`map`, `filter`, `all`, `exists`, `exists_one`) may nest. Each level multiplies
 * the work by the size of the list it walks: three levels over the lists of one admission request stay in
 * the milliseconds, while unbounded nesting is how a policy could stall the webhook (Kubernetes' cost
 * estimator refuses the same expressions for the same reason).
 */
export const CEL_MAX_COMPREHENSION_NESTING = 3;
const COMPREHENSIONS = new Set([
  'map',
  'filter',
  'all',
  'exists',
  'exists_one',
  'existsOne',
  'transformList',
  'transformMap',
]);

/**
 * A parsed, type-checked expression. `evaluate` is synchronous: functions that wait on registries are not
 * async CEL functions but answered from results gathered beforehand (kyverno-cel/passes.ts), which keeps one
 * AST safe to share between concurrent reviews.
 */
export interface CelProgram {
  readonly source: string;
  readonly type: string;
  evaluate(variables: Record<string, unknown>): unknown;
}

/** Where an expression sits in its policy, for messages: `policy.yaml: document 1: spec.validations[0].expression`. */
export type CelWhere = string;

export function compileCel(
  env: CelEnvironment,
  expression: string,
  where: CelWhere,
  expectedTypes: readonly string[] = [],
): CelProgram {
  let parsed: ReturnType<CelEnvironment['parse']>;
  try {
    parsed = env.parse(expression);
  } catch (err) {
    throw celError(where, expression, err);
  }
  rewriteRegexCalls(parsed.ast, where);
  const nesting = comprehensionNesting(parsed.ast);
  if (nesting > CEL_MAX_COMPREHENSION_NESTING) {
    throw new SigilError(
      'BAD_INPUT',
      `${where}: comprehensions nest ${nesting} deep, more than the ${CEL_MAX_COMPREHENSION_NESTING} a policy may use (the evaluation cost limit)`,
    );
  }
  const checked = parsed.check();
  if (!checked.valid) throw celError(where, expression, checked.error);
  const type = checked.type ?? 'dyn';
  if (expectedTypes.length > 0 && !expectedTypes.includes(type) && type !== 'dyn') {
    throw new SigilError(
      'BAD_INPUT',
      `${where}: output is expected to be of type ${expectedTypes[0]}, not ${type}`,
    );
  }
  return {
    source: expression,
    type,
    evaluate: (variables) => {
      try {
        return parsed(variables);
      } catch (err) {
        throw new SigilError('POLICY_VIOLATION', `${where}: ${oneLine(err)}`);
      }
    },
  };
}

/** A ParseError or TypeError as one line naming the field and the column. */
function celError(where: CelWhere, expression: string, err: unknown): SigilError {
  const e = err as { summary?: string; message?: string; range?: { start: number }; node?: { pos?: number } };
  const at = e.range?.start ?? e.node?.pos;
  const column = at === undefined ? '' : `column ${columnOf(expression, at)}: `;
  return new SigilError('BAD_INPUT', `${where}: ${column}${e.summary ?? oneLine(err)}`);
}

/** 1-based column within its line, as cel-go reports it. */
function columnOf(expression: string, offset: number): number {
  const lineStart = expression.lastIndexOf('\n', offset - 1) + 1;
  return offset - lineStart + 1;
}

function oneLine(err: unknown): string {
  const e = err as { summary?: string; message?: string };
  return (e.summary ?? e.message ?? String(err)).split('\n')[0] ?? '';
}

/**
 * cel-js's `matches` is JavaScript's RegExp; cel-go's is Go's RE2. Calls are re-pointed at `goMatches` (see
 * kubernetes.ts), and a constant pattern RE2 refuses fails the policy when it loads.
 */
function rewriteRegexCalls(node: ASTNode, where: CelWhere): void {
  visit(node, (n) => {
    if (n.op === 'rcall' && n.args[0] === 'matches') {
      (n.args as unknown as [string, ...unknown[]])[0] = 'goMatches';
      const pattern = n.args[2][0];
      if (pattern?.op === 'value' && typeof pattern.args === 'string') compileGoRegexp(pattern.args, where);
    }
    if (n.op === 'call' && n.args[0] === 'matches') {
      (n.args as unknown as [string, ...unknown[]])[0] = 'goMatches';
    }
  });
}

/** The deepest nesting of comprehension macros in the expression. */
function comprehensionNesting(node: unknown): number {
  if (!node || typeof node !== 'object') return 0;
  if (Array.isArray(node)) return Math.max(0, ...node.map(comprehensionNesting));
  const n = node as ASTNode;
  if (typeof n.op !== 'string') return 0;
  const own = n.op === 'rcall' && COMPREHENSIONS.has(n.args[0]) ? 1 : 0;
  return own + comprehensionNesting(n.args);
}

function visit(node: unknown, each: (n: ASTNode) => void): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const child of node) visit(child, each);
    return;
  }
  const n = node as ASTNode;
  if (typeof n.op !== 'string') return;
  each(n);
  visit(n.args, each);
}
