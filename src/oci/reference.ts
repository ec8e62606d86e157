/**
 * Image references, parsed by the docker/distribution grammar and normalised the way cosign's
 * go-containerregistry names them: `alpine` is `index.docker.io/library/alpine:latest`. The normalised
 * name matters beyond display: it is the `docker-reference` cosign writes into signed payloads.
 */
import { type Digest, isDigest, SigilError } from '../core/index.js';

export interface Repository {
  /** Registry host with optional port, e.g. `index.docker.io`, `localhost:5000`, `[::1]:5000`. */
  registry: string;
  /** Path inside the registry, e.g. `library/alpine`. */
  repository: string;
}

export interface ImageReference extends Repository {
  tag?: string;
  digest?: Digest;
}

export const DOCKER_HUB = 'index.docker.io';
export const DEFAULT_TAG = 'latest';
const NAME_MAX_LENGTH = 255;

// The grammar of github.com/distribution/reference (reference.go), spelled out piece by piece.
const ALPHA_NUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHA_NUMERIC}(?:${SEPARATOR}${ALPHA_NUMERIC})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6_ADDRESS = '\\[[a-fA-F0-9:]+\\]';
const HOST = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const PATH = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_ONLY = new RegExp(`^${DOMAIN}$`);
const TAG_ONLY = new RegExp(`^${TAG}$`);
const DIGEST_ONLY = new RegExp(`^${DIGEST}$`);
const HEX_64 = /^[a-f0-9]{64}$/;

/** References parsed before, frozen: admission parses the same few images for every review and rule. */
const parsed = new Map<string, Readonly<ImageReference>>();
/** Images in use in a cluster number in the hundreds; the bound keeps odd input from growing the map. */
const PARSED_LIMIT = 10_000;

/** Parses `[registry/]repository[:tag][@digest]`; throws BAD_REFERENCE naming what is wrong. */
export function parseReference(text: string): ImageReference {
  let ref = parsed.get(text);
  if (ref === undefined) {
    ref = Object.freeze(parseUncached(text));
    if (parsed.size >= PARSED_LIMIT) parsed.clear();
    parsed.set(text, ref);
  }
  return ref;
}

function parseUncached(text: string): ImageReference {
  const fail = (why: string): never => {
    throw new SigilError('BAD_REFERENCE', `invalid image reference "${text}": ${why}`);
  };
  if (text.length === 0) fail('it is empty');
  if (/\s/.test(text)) fail('it contains whitespace');

  const at = text.indexOf('@');
  const nameAndTag = at === -1 ? text : text.slice(0, at);
  const digestText = at === -1 ? undefined : text.slice(at + 1);
  let digest: Digest | undefined;
  if (digestText !== undefined) {
    if (!DIGEST_ONLY.test(digestText)) fail(`"${digestText}" is not a digest (algorithm:hex)`);
    if (!isDigest(digestText)) fail(`digest "${digestText}" is not a lower-case sha256 or sha512 digest`);
    digest = digestText as Digest;
  }

  // A colon after the last slash separates the tag; a colon before it belongs to a registry port.
  const lastSlash = nameAndTag.lastIndexOf('/');
  const colon = nameAndTag.indexOf(':', lastSlash + 1);
  const name = colon === -1 ? nameAndTag : nameAndTag.slice(0, colon);
  const tag = colon === -1 ? undefined : nameAndTag.slice(colon + 1);
  if (tag !== undefined && !TAG_ONLY.test(tag)) {
    fail(
      `tag "${tag}" must be 1-128 characters of letters, digits, '_', '.' or '-', not starting with '.' or '-'`,
    );
  }
  if (name.length === 0) fail('the repository name is empty');

  const { registry, repository } = splitName(name, fail);
  if (`${registry}/${repository}`.length > NAME_MAX_LENGTH)
    fail(`the name is longer than ${NAME_MAX_LENGTH} characters`);
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

function splitName(name: string, fail: (why: string) => never): Repository {
  const slash = name.indexOf('/');
  const first = slash === -1 ? name : name.slice(0, slash);
  // As in distribution's splitDockerDomain: the first component is a registry only when it looks like a
  // host (has a dot or port, or is localhost); anything else is a Docker Hub repository.
  const isRegistry =
    slash !== -1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  let registry = isRegistry ? first : DOCKER_HUB;
  let repository = isRegistry ? name.slice(slash + 1) : name;
  if (isRegistry && !DOMAIN_ONLY.test(registry)) fail(`"${registry}" is not a valid registry host[:port]`);
  if (registry === 'docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (repository !== repository.toLowerCase()) fail('repository names must be lower-case');
  if (!PATH.test(repository)) {
    fail(
      `repository "${repository}" must be lower-case letters and digits separated by '/', '.', '_', '__' or '-'`,
    );
  }
  if (!isRegistry && HEX_64.test(name))
    fail('a 64-character hex string is an image ID, not a repository name');
  return { registry, repository };
}

/** The repository as `registry/repository`, e.g. `index.docker.io/library/alpine` (ggcr's Name()). */
export function repositoryName(repo: Repository): string {
  return `${repo.registry}/${repo.repository}`;
}

/** The full reference: the tag defaults to `latest` only when there is neither tag nor digest. */
export function formatReference(ref: ImageReference): string {
  const tag = ref.tag ?? (ref.digest ? undefined : DEFAULT_TAG);
  return `${repositoryName(ref)}${tag !== undefined ? `:${tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The tag or digest to ask the registry for; the digest wins when both are given, as in cosign. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

export function withDigest(ref: Repository, digest: Digest): ImageReference {
  return { registry: ref.registry, repository: ref.repository, digest };
}

/** The host serving the registry API for a registry name (Docker Hub's name is not its API host). */
export function registryApiHost(registry: string): string {
  return registry === 'docker.io' ? DOCKER_HUB : registry;
}

/** Registries on this machine: plain HTTP is allowed for them without --allow-insecure-registry. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[')
    ? registry.slice(0, registry.indexOf(']') + 1)
    : registry.split(':')[0];
  return (
    host === 'localhost' ||
    host === '[::1]' ||
    /^127(?:\.\d{1,3}){3}$/.test(host ?? '') ||
    (host?.endsWith('.localhost') ?? false)
  );
}

/** The tag the referrers tag schema keeps the index of `subject`'s referrers under. */
export function referrersTag(subject: Digest): string {
  return subject.replace(':', '-');
}
