export * from "./types.js";
export {
  DEFAULT_GROUP_SETTINGS,
  LOAD_METRICS,
  TEMPLATE_MIB_PER_CORE,
  MAX_GROUP_NAME_LENGTH,
  MAX_GROUP_SIZE,
  MAX_SETTING_MS,
  MAX_SCALE_DOWN_PARALLEL,
  SETTING_FIELDS,
  settingPath,
  validateNodeGroup,
  type SettingField,
} from "./settings.js";
export * from "./manifest.js";
export * from "./expanders.js";
export * from "./scale-up.js";
export * from "./scale-down.js";
export * from "./load.js";
export * from "./status.js";
