// Marathon app and pod definitions -> a delivery plan of env vars and files (no values, no network).
export { parseAppDefinition, parseAppDefinitionText, type ParseAppDefinitionOptions } from './parse-app-definition.js';
export { loadAppDefinition, defaultMaxDefinitionBytes, type LoadAppDefinitionOptions } from './load-app-definition.js';
export { createDeliveryPlan, listContainerNames, type CreateDeliveryPlanOptions } from './delivery-plan.js';
export { validatePlanValues, assertPlanAcceptsValues, type FetchedSecretInfo } from './plan-values.js';
export { isSecretInSpace, validateSecretSpaces, assertSecretSpaces, type SpaceViolation } from './secret-spaces.js';
export { explainPlan, formatPlanExplanation, type PlanExplanation, type SecretExplanation } from './explain-plan.js';
export { optionalLabel, onChangeLabel, defaultOnChange, parseOnChangeText, formatOnChange } from './agent-labels.js';
export { formatIssue, type AppDefIssue } from './issues.js';
export { formatJsonPointer } from './json-pointer.js';
export { locateJsonSyntaxError, type JsonSyntaxError } from './json-text.js';
export type {
  AppDefinition,
  DeliveryPlan,
  EnvironmentDefinition,
  MarathonAppDefinition,
  MarathonPodDefinition,
  OnChange,
  PlainEnvVar,
  PlanEnvVar,
  PlanFile,
  PodContainerDefinition,
  SecretDefinition,
  SecretEnvVar,
  SecretFileDefinition,
} from './types.js';
