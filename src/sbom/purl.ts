/** Package URL pieces the catalogers share (https://github.com/package-url/purl-spec). */
import type { Distro } from './model.js';

/** Percent-encodes a purl segment or qualifier value; ':' stays, as in the purls Syft writes. */
export function enc(text: string): string {
  return encodeURIComponent(text).replace(/%3A/g, ':');
}

export function distroQualifier(distro: Distro | undefined): string {
  return distro ? `&distro=${enc(`${distro.id}-${distro.versionId}`)}` : '';
}
