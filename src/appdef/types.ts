// The typed forms of a Marathon app or pod definition and of the delivery plan made from it.
// They hold secret names, source paths, file paths and plain env values; never a secret value.

/** What the daemon does to the workload when a secret it uses changes. */
export type OnChange =
  | { readonly action: 'signal'; readonly signal: NodeJS.Signals }
  | { readonly action: 'restart' }
  | { readonly action: 'none' };

export interface SecretDefinition {
  /** The key in `secrets`. */
  readonly name: string;
  /** Secret Store path (no leading `/`). */
  readonly source: string;
  /** A missing optional secret is skipped instead of failing the launch. */
  readonly optional: boolean;
  /** Pointer of the `source` field. */
  readonly pointer: string;
}

export interface PlainEnvVar {
  readonly name: string;
  /** Not a secret, but possibly sensitive: never put it in a message or a log line. */
  readonly value: string;
  readonly pointer: string;
}

export interface SecretEnvVar {
  readonly name: string;
  readonly secretName: string;
  /** Pointer of the variable (`/env/DB_PASSWORD`). */
  readonly pointer: string;
}

export interface EnvironmentDefinition {
  readonly plain: readonly PlainEnvVar[];
  readonly secrets: readonly SecretEnvVar[];
}

export interface SecretFileDefinition {
  /** Normalised path relative to the sandbox (`containerPath` / `mountPath`). */
  readonly relativePath: string;
  readonly secretName: string;
  /** Pointer of the path field (`/container/volumes/0/containerPath`). */
  readonly pointer: string;
}

interface DefinitionCommon {
  /** Canonical absolute id (`/group/app`), or undefined when the definition has none. */
  readonly id: string | undefined;
  /** Every entry of `secrets`, by name. */
  readonly secrets: ReadonlyMap<string, SecretDefinition>;
  readonly onChange: OnChange;
}

export interface MarathonAppDefinition extends DefinitionCommon {
  readonly kind: 'app';
  readonly env: EnvironmentDefinition;
  readonly files: readonly SecretFileDefinition[];
}

export interface PodContainerDefinition {
  readonly name: string;
  readonly pointer: string;
  /** The container's own `environment`; it overrides the pod-level one by name. */
  readonly env: EnvironmentDefinition;
  /** Secret volumes this container mounts. */
  readonly files: readonly SecretFileDefinition[];
}

export interface MarathonPodDefinition extends DefinitionCommon {
  readonly kind: 'pod';
  /** Pod-level `environment`, shared by every container. */
  readonly env: EnvironmentDefinition;
  readonly containers: readonly PodContainerDefinition[];
}

export type AppDefinition = MarathonAppDefinition | MarathonPodDefinition;

export interface PlanEnvVar {
  readonly name: string;
  readonly secretName: string;
  readonly sourcePath: string;
  readonly optional: boolean;
  readonly pointer: string;
}

export interface PlanFile {
  readonly relativePath: string;
  readonly secretName: string;
  readonly sourcePath: string;
  readonly optional: boolean;
  readonly pointer: string;
}

// What one workload needs: which secrets to fetch once each, and where each value goes.
export interface DeliveryPlan {
  readonly kind: 'app' | 'pod';
  readonly appId: string | undefined;
  /** The pod container the plan is for; undefined for apps. */
  readonly containerName: string | undefined;
  /** Secret-backed variables, sorted by name. */
  readonly env: readonly PlanEnvVar[];
  /** Plain variables (null prototype). Values may be sensitive: never log them. */
  readonly plainEnv: Readonly<Record<string, string>>;
  /** Secret files, sorted by path. */
  readonly files: readonly PlanFile[];
  /** Every source path to fetch, each once, sorted. */
  readonly secretPaths: readonly string[];
  /** The subset of `secretPaths` whose every use is optional: absent means skip, not fail. */
  readonly optionalPaths: readonly string[];
  readonly onChange: OnChange;
}
