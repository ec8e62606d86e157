/**
 * in-toto attestation statements (in-toto/attestation spec): written as Statement v1, read as v1 or v0.1
 * (what cosign 2.x writes), and cosign's `--type` names for predicate types with the predicate shapes
 * cosign builds from a predicate file (sigstore/cosign `pkg/cosign/attestation`).
 */
import { type Digest, isRecord, parseJson, SigilError } from '../core/index.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';

export const PREDICATE_CUSTOM = 'https://cosign.sigstore.dev/attestation/v1';
export const PREDICATE_VULN = 'https://cosign.sigstore.dev/attestation/vuln/v1';
export const PREDICATE_SPDX = 'https://spdx.dev/Document';
export const PREDICATE_CYCLONEDX = 'https://cyclonedx.org/bom';
export const PREDICATE_SLSA_V02 = 'https://slsa.dev/provenance/v0.2';
export const PREDICATE_SLSA_V1 = 'https://slsa.dev/provenance/v1';

/** cosign's `--type` shorthands (options.PredicateTypeMap); any other value must be a URI. */
const PREDICATE_TYPES: Readonly<Record<string, string>> = {
  custom: PREDICATE_CUSTOM,
  slsaprovenance: PREDICATE_SLSA_V02,
  slsaprovenance02: PREDICATE_SLSA_V02,
  slsaprovenance1: PREDICATE_SLSA_V1,
  link: 'https://in-toto.io/Link/v1',
  spdx: PREDICATE_SPDX,
  spdxjson: PREDICATE_SPDX,
  cyclonedx: PREDICATE_CYCLONEDX,
  vuln: PREDICATE_VULN,
  openvex: 'https://openvex.dev/ns',
};

export const PREDICATE_TYPE_NAMES = Object.keys(PREDICATE_TYPES);

export interface InTotoSubject {
  name: string;
  digest: Record<string, string>;
  /** Signed key/value pairs about the subject (cosign v3 puts `sign -a` annotations here). */
  annotations?: Record<string, unknown>;
}

export interface InTotoStatement {
  _type: string;
  subject: InTotoSubject[];
  predicateType: string;
  predicate: unknown;
}

/** The predicate-type URI for a `--type` value: a cosign shorthand, or a URI taken as it is. */
export function predicateTypeFor(type: string): string {
  const known = PREDICATE_TYPES[type];
  if (known) return known;
  let url: URL | undefined;
  try {
    url = new URL(type);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol === ':' || type.length === 0) {
    throw new SigilError(
      'BAD_INPUT',
      `--type ${JSON.stringify(type)}: not a predicate type (use one of ${PREDICATE_TYPE_NAMES.join(', ')}, or a URI)`,
    );
  }
  return type;
}

/**
 * The predicate as cosign puts it into the statement: `custom` wraps the file's text with a timestamp,
 * `spdx` (tag-value) keeps the text, everything else must be JSON, and SBOM types must look like one.
 */
export function buildPredicate(type: string, content: Uint8Array, where: string, now = new Date()): unknown {
  const predicateType = predicateTypeFor(type);
  const text = Buffer.from(content).toString('utf8');
  if (predicateType === PREDICATE_CUSTOM) {
    return { Data: text, Timestamp: now.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  }
  if (type === 'spdx' && !text.trimStart().startsWith('{')) return text;
  const predicate = parseJson(content, `${where} (the predicate must be JSON for --type ${type})`);
  if (!isRecord(predicate))
    throw new SigilError('BAD_INPUT', `${where}: the predicate must be a JSON object`);
  checkPredicateShape(predicateType, predicate, where);
  return predicate;
}

function checkPredicateShape(predicateType: string, predicate: Record<string, unknown>, where: string): void {
  const missing = (what: string, fields: string) =>
    new SigilError('BAD_INPUT', `${where}: not ${what} (no ${fields}), but the --type says it is`);
  if (predicateType === PREDICATE_SPDX && (typeof predicate.spdxVersion !== 'string' || !predicate.SPDXID)) {
    throw missing('an SPDX document', 'spdxVersion/SPDXID');
  }
  if (
    predicateType === PREDICATE_CYCLONEDX &&
    (predicate.bomFormat !== 'CycloneDX' || typeof predicate.specVersion !== 'string')
  ) {
    throw missing('a CycloneDX BOM', 'bomFormat "CycloneDX"/specVersion');
  }
  if (predicateType === PREDICATE_VULN && !isRecord(predicate.scanner)) {
    throw missing('a cosign vulnerability predicate', 'scanner');
  }
  if (predicateType === PREDICATE_SLSA_V1 && !isRecord(predicate.buildDefinition)) {
    throw missing('a SLSA v1 provenance', 'buildDefinition');
  }
  if (predicateType === PREDICATE_SLSA_V02 && !isRecord(predicate.builder)) {
    throw missing('a SLSA v0.2 provenance', 'builder');
  }
}

/** A Statement v1 about one image: its repository as the subject name, its digest as the subject digest. */
export function buildStatement(
  repository: string,
  digest: Digest,
  predicateType: string,
  predicate: unknown,
): InTotoStatement {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return {
    _type: STATEMENT_V1,
    subject: [{ name: repository, digest: { [algorithm]: hex } }],
    predicateType,
    predicate,
  };
}

/** Parses a statement (v1 or v0.1), checking every field a verifier relies on. */
export function parseStatement(payload: Uint8Array, where: string): InTotoStatement {
  const json = parseJson(payload, where);
  const bad = (why: string): never => {
    throw new SigilError('BAD_INPUT', `${where}: not an in-toto statement: ${why}`);
  };
  if (!isRecord(json)) return bad('not a JSON object');
  if (json._type !== STATEMENT_V1 && json._type !== STATEMENT_V01) {
    return bad(`_type is ${JSON.stringify(json._type)}, expected ${STATEMENT_V1} or ${STATEMENT_V01}`);
  }
  if (typeof json.predicateType !== 'string' || json.predicateType === '') return bad('no predicateType');
  if (!Array.isArray(json.subject) || json.subject.length === 0) return bad('no subject');
  const subject = json.subject.map((s, i): InTotoSubject => {
    if (!isRecord(s) || !isRecord(s.digest)) return bad(`subject[${i}] has no digest`);
    const digest: Record<string, string> = {};
    for (const [algorithm, value] of Object.entries(s.digest)) {
      if (typeof value !== 'string') return bad(`subject[${i}].digest.${algorithm} is not a string`);
      digest[algorithm] = value;
    }
    const annotations = isRecord(s.annotations) ? { annotations: s.annotations } : {};
    return { name: typeof s.name === 'string' ? s.name : '', digest, ...annotations };
  });
  return { _type: json._type, subject, predicateType: json.predicateType, predicate: json.predicate };
}

/** True when one of the statement's subjects is the artifact with this digest. */
export function statementCovers(statement: InTotoStatement, digest: Digest): boolean {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return statement.subject.some((s) => s.digest[algorithm]?.toLowerCase() === hex.toLowerCase());
}

/** The statement's subject digests as `algorithm:hex`, for messages. */
export function subjectDigests(statement: InTotoStatement): string[] {
  return statement.subject.flatMap((s) => Object.entries(s.digest).map(([a, h]) => `${a}:${h}`));
}
