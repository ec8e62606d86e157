import type { InputSignature, JSONValue } from '@jmespath-community/jmespath';

/** One Kyverno JMESPath extension: its name, argument types (checked by the JMESPath runtime) and body. */
export interface CustomFunction {
  name: string;
  signature: InputSignature[];
  // The runtime hands arguments over untyped; each body checks what its signature does not.
  run: (args: JSONValue[]) => JSONValue;
}

/** Errors from a function body; the caller names the expression they came from. */
export class FunctionError extends Error {
  constructor(functionName: string, reason: string) {
    super(`${functionName}(): ${reason}`);
  }
}
