// Definition file (or parsed definition) + container + spaces -> the plan one workload runs with.
// Every check that needs no store happens here, before any connection is opened.
import {
  assertSecretSpaces,
  createDeliveryPlan,
  loadAppDefinition,
  type AppDefinition,
  type DeliveryPlan,
} from '../appdef/index.js';

export interface PlanOptions {
  /** Pod container (`--container`); required for pods with more than one. */
  readonly containerName?: string;
  /** Refuse secrets outside the app's space (reference.md §2.8). Default true; `--no-spaces` turns it off. */
  readonly enforceSpaces?: boolean;
}

export interface LoadPlanOptions extends PlanOptions {
  /** Secret names that may be absent (`--optional`), on top of the SECRETS_AGENT_OPTIONAL label. */
  readonly optional?: readonly string[];
}

export interface LoadedPlan {
  readonly definition: AppDefinition;
  readonly plan: DeliveryPlan;
}

// Reads, validates (every issue with its JSON pointer) and plans; throws before anything starts.
export async function loadPlan(file: string, options: LoadPlanOptions = {}): Promise<LoadedPlan> {
  const definition = await loadAppDefinition(file, options.optional === undefined ? {} : { optional: options.optional });
  return { definition, plan: planFromDefinition(definition, options) };
}

// The plan for an already parsed definition (the daemon parses files as they change).
export function planFromDefinition(definition: AppDefinition, options: PlanOptions = {}): DeliveryPlan {
  const plan = createDeliveryPlan(definition, options.containerName === undefined ? {} : { containerName: options.containerName });
  if (options.enforceSpaces ?? true) assertSecretSpaces(plan.appId, plan);
  return plan;
}
