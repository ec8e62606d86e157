import {
  type JSONValue,
  TYPE_ARRAY,
  TYPE_NUMBER,
  TYPE_OBJECT,
  TYPE_STRING,
} from '@jmespath-community/jmespath';
import { parse as parseYaml } from 'yaml';
import { type CustomFunction, FunctionError } from './types.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function record(value: JSONValue | undefined): Record<string, JSONValue> {
  return value as Record<string, JSONValue>;
}

export const dataFunctions: CustomFunction[] = [
  {
    name: 'base64_decode',
    signature: [{ types: [TYPE_STRING] }],
    run: ([text]) => {
      // Buffer.from silently skips bad characters; Go's StdEncoding (Kyverno's) refuses them, and so do we.
      if (typeof text !== 'string' || !BASE64.test(text))
        throw new FunctionError('base64_decode', 'argument is not standard base64');
      return Buffer.from(text, 'base64').toString('utf8');
    },
  },
  {
    name: 'base64_encode',
    signature: [{ types: [TYPE_STRING] }],
    run: ([text]) => Buffer.from(String(text), 'utf8').toString('base64'),
  },
  {
    name: 'parse_json',
    signature: [{ types: [TYPE_STRING] }],
    run: ([text]) => {
      try {
        return JSON.parse(String(text)) as JSONValue;
      } catch (err) {
        throw new FunctionError('parse_json', (err as Error).message);
      }
    },
  },
  {
    name: 'parse_yaml',
    signature: [{ types: [TYPE_STRING] }],
    run: ([text]) => {
      try {
        return (parseYaml(String(text)) ?? null) as JSONValue;
      } catch (err) {
        throw new FunctionError('parse_yaml', (err as Error).message);
      }
    },
  },
  {
    // Kyverno's items(object, keyName, valueName) -> [{keyName: k, valueName: v}] (for arrays the key is the index);
    // with one argument it stays JMESPath community's items() -> [[k, v]].
    name: 'items',
    signature: [
      { types: [TYPE_OBJECT, TYPE_ARRAY] },
      { types: [TYPE_STRING], optional: true },
      { types: [TYPE_STRING], optional: true },
    ],
    run: ([collection, keyName, valueName]) => {
      const entries: [JSONValue, JSONValue][] = Array.isArray(collection)
        ? collection.map((v, i) => [i, v])
        : Object.keys(record(collection))
            .sort()
            .map((k) => [k, record(collection)[k] ?? null]);
      if (keyName === undefined) return entries;
      if (valueName === undefined) throw new FunctionError('items', 'takes a key name and a value name');
      return entries.map(([k, v]) => ({ [String(keyName)]: k, [String(valueName)]: v }));
    },
  },
  {
    name: 'object_from_lists',
    signature: [{ types: [TYPE_ARRAY] }, { types: [TYPE_ARRAY] }],
    run: ([keys, values]) => {
      const out: Record<string, JSONValue> = {};
      (keys as JSONValue[]).forEach((key, i) => {
        if (typeof key !== 'string')
          throw new FunctionError('object_from_lists', `key ${JSON.stringify(key)} is not a string`);
        out[key] = (values as JSONValue[])[i] ?? null;
      });
      return out;
    },
  },
  {
    name: 'lookup',
    signature: [{ types: [TYPE_OBJECT, TYPE_ARRAY] }, { types: [TYPE_STRING, TYPE_NUMBER] }],
    run: ([collection, key]) => {
      if (Array.isArray(collection)) {
        if (typeof key !== 'number' || !Number.isInteger(key))
          throw new FunctionError('lookup', 'an array is indexed by an integer');
        return collection[key] ?? null;
      }
      if (typeof key !== 'string') throw new FunctionError('lookup', 'an object is indexed by a string');
      return Object.hasOwn(record(collection), key) ? (record(collection)[key] ?? null) : null;
    },
  },
  {
    name: 'to_boolean',
    signature: [{ types: [TYPE_STRING] }],
    run: ([value]) => {
      const text = String(value).toLowerCase();
      if (text === 'true' || text === 'false') return text === 'true';
      throw new FunctionError(
        'to_boolean',
        `lowercase argument must be 'true' or 'false' (provided: ${JSON.stringify(value)})`,
      );
    },
  },
];
