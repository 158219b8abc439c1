// Definition file (or parsed definition) + container + spaces -> the plan one workload runs with.
// Every check that needs no store happens here, before any connection is opened.
import {
  assertSecretSpaces,
  createDeliveryPlan,
  loadAppDefinition,
  type AppDefinition,
  type DeliveryPlan,
} from '../appdef/index.js';
import { readNodePgpKey, type NodePgpKey } from './pgp-value.js';

export interface PlanOptions {
  /** Pod container (`--container`); required for pods with more than one. */
  readonly containerName?: string;
  /** Refuse secrets outside the app's space (docs/wire-formats.md#spaces). Default true; `--no-spaces` turns it off. */
  readonly enforceSpaces?: boolean;
}

export interface LoadPlanOptions extends PlanOptions {
  /** Secret names that may be absent (`--optional`), on top of the SECRETS_AGENT_OPTIONAL label. */
  readonly optional?: readonly string[];
}

/** What `run` and `explain` both start from: the definition, how to plan it, and the node key. */
export interface AgentPlanOptions extends LoadPlanOptions {
  readonly appFile: string;
  readonly enforceSpaces: boolean;
  /** The node's OpenPGP private key (`--pgp-key-file`), for values encrypted to this node. */
  readonly pgpKeyFile?: string;
  readonly pgpPassphrase?: string;
}

export interface LoadedPlan {
  readonly definition: AppDefinition;
  readonly plan: DeliveryPlan;
}

// Reads, validates (every issue with its JSON pointer) and plans; throws before anything starts.
export async function loadPlan(file: string, options: LoadPlanOptions = {}): Promise<LoadedPlan> {
  const definition = await loadAppDefinition(
    file,
    options.optional === undefined ? {} : { optional: options.optional },
  );
  return { definition, plan: planFromDefinition(definition, options) };
}

// The plan and the node key; both fail before any store is asked.
export async function loadAgentPlan(
  options: AgentPlanOptions,
): Promise<{ plan: DeliveryPlan; key: NodePgpKey | undefined }> {
  const { plan } = await loadPlan(options.appFile, options);
  const key =
    options.pgpKeyFile === undefined ? undefined : await readNodePgpKey(options.pgpKeyFile, options.pgpPassphrase);
  return { plan, key };
}

// The plan for an already parsed definition (the daemon parses files as they change).
export function planFromDefinition(definition: AppDefinition, options: PlanOptions = {}): DeliveryPlan {
  const plan = createDeliveryPlan(
    definition,
    options.containerName === undefined ? {} : { containerName: options.containerName },
  );
  if (options.enforceSpaces ?? true) assertSecretSpaces(plan.appId, plan);
  return plan;
}
