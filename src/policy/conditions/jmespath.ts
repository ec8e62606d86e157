import jmespath, { type JSONValue } from '@jmespath-community/jmespath';
import { messageOf, SigilError } from '../../core/errors.js';
import { arithmeticFunctions } from './functions/arithmetic.js';
import { dataFunctions } from './functions/data.js';
import { imageFunctions } from './functions/image.js';
import { stringFunctions } from './functions/strings.js';
import { timeFunctions } from './functions/time.js';
import { x509Functions } from './functions/x509.js';

const customFunctions = [
  ...stringFunctions,
  ...arithmeticFunctions,
  ...dataFunctions,
  ...timeFunctions,
  ...x509Functions,
  ...imageFunctions,
];

// The function table is global to the library; registering once at module load is what every caller needs.
for (const fn of customFunctions) {
  jmespath.registerFunction(fn.name, (args) => fn.run(args as JSONValue[]), fn.signature, { override: true });
}

/** Parsed expressions by source text: policies evaluate the same few expressions on every request. */
type ExpressionNode = ReturnType<typeof jmespath.compile>;
const parsed = new Map<string, ExpressionNode>();
const PARSED_LIMIT = 10_000;

function compileCached(expression: string): ExpressionNode {
  let node = parsed.get(expression);
  if (node === undefined) {
    try {
      node = jmespath.compile(expression);
    } catch (err) {
      throw new SigilError(
        'BAD_INPUT',
        `invalid JMESPath expression ${JSON.stringify(expression)}: ${messageOf(err)}`,
      );
    }
    if (parsed.size >= PARSED_LIMIT) parsed.clear();
    parsed.set(expression, node);
  }
  return node;
}

/**
 * Evaluates a JMESPath expression (community edition plus Kyverno's custom functions) over `data`.
 * Throws SigilError BAD_INPUT naming the expression for a syntax error, an unknown function or a function's refusal.
 */
export function queryJmesPath(expression: string, data: unknown): unknown {
  const node = compileCached(expression);
  try {
    return jmespath.TreeInterpreter.search(node, data as JSONValue);
  } catch (err) {
    throw new SigilError(
      'BAD_INPUT',
      `JMESPath expression ${JSON.stringify(expression)} failed: ${messageOf(err)}`,
    );
  }
}
