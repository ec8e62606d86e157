/**
 * Which module registers each top-level command. A process runs one command, so `main.ts` loads only
 * that command's module (and with it only the dependencies it needs: a client command never loads the
 * servers, databases or the policy engine); help, and a command it does not know, load them all.
 * Listed in help order. A command added to a module must be named here too (a test checks both agree).
 */
import type { Command } from 'commander';

type Register = (program: Command) => void;

export interface CommandGroup {
  commands: readonly string[];
  load: () => Promise<Register>;
}

export const COMMAND_GROUPS: readonly CommandGroup[] = [
  {
    commands: ['generate-key-pair', 'import-key-pair', 'public-key'],
    load: async () => (await import('./commands/keys.js')).registerKeyCommands,
  },
  {
    commands: ['sign', 'verify'],
    load: async () => (await import('./commands/sign.js')).registerSignCommands,
  },
  {
    commands: ['attest', 'verify-attestation'],
    load: async () => (await import('./commands/attest.js')).registerAttestCommands,
  },
  {
    commands: ['attach', 'download'],
    load: async () => (await import('./commands/attach.js')).registerAttachCommands,
  },
  { commands: ['sbom'], load: async () => (await import('./commands/sbom.js')).registerSbomCommand },
  {
    commands: ['sign-blob', 'verify-blob'],
    load: async () => (await import('./commands/blob.js')).registerBlobCommands,
  },
  {
    commands: ['attest-blob', 'verify-blob-attestation'],
    load: async () => (await import('./commands/blob-attest.js')).registerBlobAttestCommands,
  },
  {
    commands: ['registry'],
    load: async () => (await import('./commands/registry.js')).registerRegistryCommands,
  },
  { commands: ['tlog'], load: async () => (await import('./commands/tlog.js')).registerTlogCommands },
  { commands: ['tsa'], load: async () => (await import('./commands/tsa.js')).registerTsaCommands },
  {
    commands: ['tuf', 'initialize'],
    load: async () => (await import('./commands/tuf.js')).registerTufCommands,
  },
  {
    commands: ['serve', 'ca', 'oidc'],
    load: async () => (await import('./commands/serve.js')).registerServeCommands,
  },
  {
    commands: ['console'],
    load: async () => (await import('./commands/console.js')).registerConsoleCommands,
  },
  { commands: ['policy'], load: async () => (await import('./commands/policy.js')).registerPolicyCommands },
  {
    commands: ['pkcs11-tool'],
    load: async () => (await import('./commands/pkcs11-tool.js')).registerPkcs11ToolCommands,
  },
  {
    commands: ['provenance'],
    load: async () => (await import('./commands/provenance.js')).registerProvenanceCommand,
  },
  {
    commands: ['admission'],
    load: async () => (await import('./commands/admission.js')).registerAdmissionCommands,
  },
  { commands: ['demo'], load: async () => (await import('./commands/demo.js')).registerDemoCommand },
  { commands: ['tree'], load: async () => (await import('./commands/tree.js')).registerTreeCommand },
  {
    commands: ['triangulate'],
    load: async () => (await import('./commands/triangulate.js')).registerTriangulateCommand,
  },
  { commands: ['clean'], load: async () => (await import('./commands/clean.js')).registerCleanCommand },
  { commands: ['copy'], load: async () => (await import('./commands/copy.js')).registerCopyCommand },
  {
    commands: ['notation'],
    load: async () => (await import('./commands/notation.js')).registerNotationCommands,
  },
  { commands: ['load'], load: async () => (await import('./commands/load.js')).registerLoadCommand },
];

/**
 * The groups to register for these arguments (those after `node sigil.js`): the invoked command's
 * group; none for `--version` and `version`, which main.ts answers itself; every group otherwise
 * (`--help`, `help`, no command, a misspelt one), so that help lists them all and a typo gets its
 * "did you mean".
 */
export function groupsFor(args: readonly string[]): readonly CommandGroup[] {
  const first = args[0];
  if (first === '--version' || first === 'version') return [];
  const invoked = COMMAND_GROUPS.find((group) => first !== undefined && group.commands.includes(first));
  return invoked ? [invoked] : COMMAND_GROUPS;
}

/** Loads the groups' modules (in parallel) and registers their commands in help order. */
export async function registerGroups(program: Command, groups: readonly CommandGroup[]): Promise<void> {
  const registers = await Promise.all(groups.map((group) => group.load()));
  for (const register of registers) register(program);
}
