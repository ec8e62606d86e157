/**
 * The grammar of what appears in registry paths: repository names, tags and upload ids. Everything that
 * later becomes part of a file path passes one of these checks first, which is what keeps `..` and other
 * path tricks out of the data directory.
 */
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPOSITORY_NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Many clients cap `host/name` at 255 characters; longer names could never be pulled by them. */
const MAX_NAME_LENGTH = 255;

export function isRepositoryName(value: string): boolean {
  return value.length <= MAX_NAME_LENGTH && REPOSITORY_NAME.test(value);
}

export function isTag(value: string): boolean {
  return TAG.test(value);
}

export function isUploadId(value: string): boolean {
  return UPLOAD_ID.test(value);
}
