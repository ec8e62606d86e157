/** The SBOM generator's vocabulary, shared by the file view, the catalogers and the writers. */

export type FileView = Map<string, Buffer>;

export interface Distro {
  id: string;
  versionId: string;
}

export interface SbomPackage {
  name: string;
  version: string;
  type: 'deb' | 'apk' | 'rpm' | 'npm' | 'pypi' | 'golang';
  arch?: string;
  license?: string;
  /** The organisation that built the package, as its database records it (rpm's VENDOR). */
  vendor?: string;
  purl: string;
  foundIn: string;
}

/** Takes a file's bytes as they stream past and keeps what the catalogers need of them. */
export interface ContentCollector {
  write(piece: Buffer): void;
  /** The kept bytes, or undefined when the file is of no use to any cataloger. */
  result(): Buffer | undefined;
}
