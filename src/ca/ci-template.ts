/**
 * The claim templates of Fulcio's generic CI provider (`CIIssuerMetadata[...].ExtensionTemplates` and
 * `SubjectAlternativeNameTemplate`). Fulcio runs them through Go's text/template over the token claims
 * merged onto the provider's defaults; a string without `{{` is not literal text but the name of one
 * claim. This is the subset of text/template that Fulcio's shipped config uses, and nothing more:
 * literal text, `{{ .claim }}` (and `{{ .a.b }}` into nested claims), `{{ index . "claim" }}` for names
 * that are not identifiers, and `{{ if eq X Y }}...{{ else }}...{{ end }}`. Anything else is refused
 * when the config is read, so no certificate request can fail on a template the CA cannot run.
 */
import { SigilError } from '../core/index.js';
import { claimText } from './identity.js';

export type TemplateData = Record<string, unknown>;

export interface ClaimTemplate {
  readonly source: string;
  /** The text for a token's claims (already merged onto the defaults); throws BAD_TOKEN on a missing claim. */
  render(data: TemplateData): string;
}

type Expr =
  | { kind: 'field'; path: string[] }
  | { kind: 'literal'; value: string }
  | { kind: 'index'; keys: string[] }
  | { kind: 'eq'; left: Expr; right: Expr };

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'output'; expr: Expr }
  | { kind: 'if'; condition: Expr; whenTrue: Node[]; otherwise: Node[] };

const SUPPORTED =
  'supported: literal text, {{ .claim }}, {{ .a.b }}, {{ index . "claim" }}, {{ if eq X Y }}…{{ else }}…{{ end }}';

export function compileClaimTemplate(source: string, where: string): ClaimTemplate {
  if (!source.includes('{{')) {
    return { source, render: (data) => lookup(data, [source], where) };
  }
  const nodes = parseTemplate(source, where);
  return { source, render: (data) => renderNodes(nodes, data, where) };
}

function parseTemplate(source: string, where: string): Node[] {
  const root: Node[] = [];
  // Open `if` blocks, innermost last; `target` is where the next node goes.
  const open: Array<{ node: Extract<Node, { kind: 'if' }>; inElse: boolean }> = [];
  const target = () => {
    const block = open.at(-1);
    if (!block) return root;
    return block.inElse ? block.node.otherwise : block.node.whenTrue;
  };
  let rest = source;
  while (rest !== '') {
    const start = rest.indexOf('{{');
    if (start < 0) {
      target().push({ kind: 'text', text: rest });
      break;
    }
    if (start > 0) target().push({ kind: 'text', text: rest.slice(0, start) });
    const end = rest.indexOf('}}', start);
    if (end < 0) throw templateError(where, source, 'an action opened with "{{" is not closed with "}}"');
    const action = rest.slice(start + 2, end).trim();
    rest = rest.slice(end + 2);
    const words = tokenize(action, where, source);
    if (words[0] === 'if') {
      const node: Extract<Node, { kind: 'if' }> = {
        kind: 'if',
        condition: parseExpr(words.slice(1), where, source),
        whenTrue: [],
        otherwise: [],
      };
      target().push(node);
      open.push({ node, inElse: false });
    } else if (action === 'else' || action === 'end') {
      const block = open.at(-1);
      if (!block || (action === 'else' && block.inElse)) {
        throw templateError(where, source, `"{{ ${action} }}" without a matching "{{ if }}"`);
      }
      if (action === 'else') block.inElse = true;
      else open.pop();
    } else {
      target().push({ kind: 'output', expr: parseExpr(words, where, source) });
    }
  }
  if (open.length > 0) throw templateError(where, source, '"{{ if }}" is not closed with "{{ end }}"');
  return root;
}

/** Action words: `(`, `)`, string literals (kept quoted), `.`, `.field.path`, identifiers. */
function tokenize(action: string, where: string, source: string): string[] {
  const words: string[] = [];
  const pattern = /\s*(\(|\)|"(?:[^"\\]|\\.)*"|\.(?:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)?|[A-Za-z_]\w*)/y;
  let at = 0;
  while (at < action.length) {
    pattern.lastIndex = at;
    const match = pattern.exec(action);
    if (!match?.[1]) {
      const unexpected = action.slice(at).trim();
      if (unexpected === '') break;
      throw templateError(where, source, `unsupported text "${unexpected}" in "{{ ${action} }}"`);
    }
    words.push(match[1]);
    at = pattern.lastIndex;
  }
  if (words.length === 0) throw templateError(where, source, 'empty action "{{ }}"');
  return words;
}

function parseExpr(words: string[], where: string, source: string): Expr {
  const fail = (): never => {
    throw templateError(where, source, `unsupported action "{{ ${words.join(' ')} }}"`);
  };
  let at = 0;
  const next = () => words[at++];
  // Go and JSON agree on the common escapes; any other Go escape is outside the subset.
  const literal = (word: string): string => {
    try {
      return JSON.parse(word) as string;
    } catch {
      return fail();
    }
  };
  const argument = (): Expr => {
    const word = next();
    if (word === undefined) return fail();
    if (word === '(') {
      const inner = call();
      if (next() !== ')') fail();
      return inner;
    }
    if (word.startsWith('"')) return { kind: 'literal', value: literal(word) };
    if (word.startsWith('.') && word.length > 1) return { kind: 'field', path: word.slice(1).split('.') };
    return fail();
  };
  const call = (): Expr => {
    const word = words[at];
    if (word === 'index') {
      at++;
      if (next() !== '.') fail();
      const keys: string[] = [];
      while (words[at]?.startsWith('"')) keys.push(literal(next() as string));
      if (keys.length === 0) fail();
      return { kind: 'index', keys };
    }
    if (word === 'eq') {
      at++;
      return { kind: 'eq', left: argument(), right: argument() };
    }
    return argument();
  };
  const expr = call();
  if (at !== words.length) fail();
  return expr;
}

function renderNodes(nodes: Node[], data: TemplateData, where: string): string {
  let text = '';
  for (const node of nodes) {
    if (node.kind === 'text') text += node.text;
    else if (node.kind === 'output') text += String(evaluate(node.expr, data, where));
    else {
      const condition = evaluate(node.condition, data, where);
      const truthy = condition === true || (typeof condition === 'string' && condition !== '');
      text += renderNodes(truthy ? node.whenTrue : node.otherwise, data, where);
    }
  }
  return text;
}

function evaluate(expr: Expr, data: TemplateData, where: string): string | boolean {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'field':
      return lookup(data, expr.path, where);
    case 'index':
      // Go's `index` yields the zero value for a missing key instead of failing, unlike `.field`.
      return claimText(nested(data, expr.keys)) ?? '';
    case 'eq':
      return evaluate(expr.left, data, where) === evaluate(expr.right, data, where);
  }
}

function nested(data: TemplateData, keys: string[]): unknown {
  let value: unknown = data;
  for (const key of keys) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function lookup(data: TemplateData, path: string[], where: string): string {
  const value = nested(data, path);
  const name = path.join('.');
  if (value === undefined) {
    throw new SigilError('BAD_TOKEN', `${where}: the token has no "${name}" claim and there is no default`);
  }
  const text = claimText(value);
  if (text === undefined)
    throw new SigilError('BAD_TOKEN', `${where}: the token's "${name}" claim is not text`);
  return text;
}

function templateError(where: string, source: string, problem: string): SigilError {
  return new SigilError('BAD_INPUT', `${where}: template "${source}": ${problem} (${SUPPORTED})`);
}
