/**
 * Kyverno's image CEL library (kyverno/sdk extensions/cel/libs/image): `image(string)` /
 * `parseImageReference(string)` and `isImage(string)`, with go-containerregistry's reading of a reference:
 * Docker Hub names under `index.docker.io` and `library/`, `latest` when no tag is given, and a digest
 * winning over a tag.
 */
import { parseReference } from '../../oci/index.js';
import type { CelEnvironment } from './engine.js';

export class KyvernoImage {
  constructor(
    readonly registry: string,
    readonly repository: string,
    readonly tag: string,
    readonly digest: string,
  ) {}
  get identifier(): string {
    return this.digest || this.tag;
  }
}

export function imageOf(text: string): KyvernoImage {
  const ref = parseReference(text);
  if (ref.digest) return new KyvernoImage(ref.registry, ref.repository, '', ref.digest);
  return new KyvernoImage(ref.registry, ref.repository, ref.tag ?? 'latest', '');
}

export function registerImageLibrary(env: CelEnvironment): void {
  const t = 'kyverno.image';
  env
    .registerType(t, KyvernoImage)
    .registerFunction(`image(string): ${t}`, imageOf)
    .registerFunction(`parseImageReference(string): ${t}`, imageOf)
    .registerFunction('isImage(string): bool', (s: string) => {
      try {
        imageOf(s);
        return true;
      } catch {
        return false;
      }
    })
    .registerFunction(`${t}.containsDigest(): bool`, (i: KyvernoImage) => i.digest !== '')
    .registerFunction(`${t}.registry(): string`, (i: KyvernoImage) => i.registry)
    .registerFunction(`${t}.repository(): string`, (i: KyvernoImage) => i.repository)
    .registerFunction(`${t}.identifier(): string`, (i: KyvernoImage) => i.identifier)
    .registerFunction(`${t}.tag(): string`, (i: KyvernoImage) => i.tag)
    .registerFunction(`${t}.digest(): string`, (i: KyvernoImage) => i.digest);
}
