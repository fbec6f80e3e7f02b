export * from "./types.js";
export * from "./settings.js";
export * from "./metrics.js";
export * from "./expr.js";
export * from "./duration.js";
export * from "./template.js";
export {
  builtinAlertRules,
  validateAlertRule,
  MAX_ALERT_FOR_MS,
  MAX_ALERT_LABEL_VALUE_LENGTH,
  MAX_ALERT_ANNOTATION_LENGTH,
} from "./rules.js";
export * from "./manifest.js";
export * from "./evaluate.js";
