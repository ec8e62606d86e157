/**
 * Which images a verification selects. Kyverno's imageReferences are wildcards matched against the image as
 * written and fully qualified; the policy-controller's globs (`patternSyntax: 'glob'`) follow its own rules
 * (pkg/apis/glob): `*` matches within one path segment, `**` across segments, Docker Hub images are named
 * `index.docker.io/...`, and an image without tag or digest is taken as `:latest`.
 */
import { formatReference, parseReference } from '../oci/index.js';
import { wildcardMatch } from './conditions/index.js';
import type { ImageVerification } from './model.js';

export function selectsImage(verification: ImageVerification, image: string): boolean {
  return imageSelection(verification, image) === 'verify';
}

export type ImageSelection = 'verify' | 'skip' | 'none';

/** Selections made before, per verifyImages entry (a reloaded policy brings new entries, and a new map). */
const selections = new WeakMap<ImageVerification, Map<string, ImageSelection>>();
/** Distinct images one entry sees; the bound keeps odd input from growing a map. */
const SELECTIONS_LIMIT = 10_000;

/**
 * `verify` for an image the verification checks, `skip` for one its imageReferences match but its
 * skipImageReferences exclude (Kyverno reports those as skipped), `none` for the others.
 */
export function imageSelection(verification: ImageVerification, image: string): ImageSelection {
  let known = selections.get(verification);
  if (!known) {
    known = new Map();
    selections.set(verification, known);
  }
  let selection = known.get(image);
  if (selection === undefined) {
    selection = selectImage(verification, image);
    if (known.size >= SELECTIONS_LIMIT) known.clear();
    known.set(image, selection);
  }
  return selection;
}

function selectImage(verification: ImageVerification, image: string): ImageSelection {
  const matches =
    verification.patternSyntax === 'glob'
      ? (patterns: string[]) => patterns.some((p) => globMatch(p, image))
      : (patterns: string[]) => {
          const forms = imageForms(image);
          return patterns.some((p) => forms.some((f) => wildcardMatch(p, f)));
        };
  if (!matches(verification.imageReferences)) return 'none';
  return matches(verification.skipImageReferences) ? 'skip' : 'verify';
}

/** The image as written and fully qualified (`nginx` → `docker.io/library/nginx:latest`), for patterns. */
function imageForms(image: string): string[] {
  try {
    const ref = parseReference(image);
    const full = formatReference({ ...ref, ...(ref.tag || ref.digest ? {} : { tag: 'latest' }) });
    return full === image ? [image] : [image, full];
  } catch {
    return [image];
  }
}

/** The characters a policy-controller glob may hold; the reader refuses others when the policy loads. */
export const GLOB_CHARACTERS = /^[a-zA-Z0-9\-_:/*.@]+$/;

const compiled = new Map<string, RegExp>();

/**
 * The policy-controller's glob match: against the fully qualified name (go-containerregistry's Name(),
 * `index.docker.io/library/nginx:latest`, or `repo@sha256:...` when there is a digest), and, as it still
 * does for compatibility, against the image as written.
 */
export function globMatch(glob: string, image: string): boolean {
  let re = compiled.get(glob);
  if (!re) {
    re = globRegExp(glob);
    compiled.set(glob, re);
  }
  const name = qualifiedName(image);
  return re.test(name ?? image) || (name !== undefined && name !== image && re.test(image));
}

function globRegExp(glob: string): RegExp {
  // Bare `*` and `*/*` mean Docker Hub's official and user images, as the policy-controller rewrites them.
  const normalized =
    glob === '*' ? 'index.docker.io/library/*' : glob === '*/*' ? 'index.docker.io/*/*' : glob;
  const source = normalized
    .split('**')
    .map((part) => part.replaceAll('.', '\\.').replaceAll('*', '[^/]*'))
    .join('.*');
  return new RegExp(`^${source}$`);
}

/** go-containerregistry's Name() of an image, or undefined when it does not parse. */
function qualifiedName(image: string): string | undefined {
  try {
    const ref = parseReference(image);
    const repository = `${ref.registry}/${ref.repository}`;
    return ref.digest ? `${repository}@${ref.digest}` : `${repository}:${ref.tag ?? 'latest'}`;
  } catch {
    return undefined;
  }
}
