//! `os.environ/NAME` references, resolved once at load time anywhere in the document.

use std::collections::BTreeMap;

use serde_yaml::Value;

const PREFIX: &str = "os.environ/";

/// Where environment values come from: the `environment_variables` section of the file first
/// (LiteLLM sets those before resolving anything else), then the process environment.
pub struct EnvSource<'a> {
    pub overrides: &'a BTreeMap<String, String>,
}

impl EnvSource<'_> {
    pub(super) fn get(&self, name: &str) -> Option<String> {
        self.overrides.get(name).cloned().or_else(|| std::env::var(name).ok())
    }
}

/// Replaces every string `os.environ/NAME` in `value` with the variable's value. Each missing
/// variable is reported with the path of the field that referenced it.
pub fn resolve(value: &mut Value, path: &str, env: &EnvSource<'_>, errors: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix(PREFIX) {
                let name = name.trim();
                match env.get(name) {
                    Some(v) => *s = v,
                    None => errors
                        .push(format!("{path}: environment variable {name} is not set (referenced as {PREFIX}{name})")),
                }
            }
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                resolve(item, &format!("{path}[{i}]"), env, errors);
            }
        }
        Value::Mapping(map) => {
            for (k, v) in map.iter_mut() {
                let key = match k {
                    Value::String(s) => s.clone(),
                    other => format!("{other:?}"),
                };
                let child = if path.is_empty() { key } else { format!("{path}.{key}") };
                resolve(v, &child, env, errors);
            }
        }
        Value::Tagged(tagged) => resolve(&mut tagged.value, path, env, errors),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_from_overrides_and_reports_missing_with_path() {
        let mut doc: Value = serde_yaml::from_str(
            "model_list:\n  - litellm_params:\n      api_key: os.environ/SB_TEST_KEY\n      api_base: os.environ/SB_TEST_SURELY_MISSING\n",
        )
        .unwrap();
        let overrides = BTreeMap::from([("SB_TEST_KEY".to_string(), "secret".to_string())]);
        let mut errors = Vec::new();
        resolve(&mut doc, "", &EnvSource { overrides: &overrides }, &mut errors);
        assert_eq!(doc["model_list"][0]["litellm_params"]["api_key"], Value::from("secret"));
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("model_list[0].litellm_params.api_base: environment variable SB_TEST_SURELY_MISSING"),
            "{}",
            errors[0]
        );
    }
}
