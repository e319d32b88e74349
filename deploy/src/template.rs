//! The CloudFormation template (`deploy/template.yaml`, compiled in) and what can be known from
//! it before anything is sent: its parameters, which conditions hold for a set of parameter
//! values, which resources that creates, and the template with those conditions applied.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::{Map, Value};

/// The template as written, sent to CloudFormation unchanged.
pub const TEMPLATE_YAML: &str = include_str!("../template.yaml");

/// Parameter values by name, as CloudFormation receives them (strings).
pub type Parameters = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("the template is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("template: {0}")]
    Invalid(String),
}

static TEMPLATE: LazyLock<Result<Template, String>> =
    LazyLock::new(|| Template::parse(TEMPLATE_YAML).map_err(|e| e.to_string()));

/// The parsed template, in CloudFormation's JSON form (`!Ref x` → `{"Ref": "x"}`, `!Sub` →
/// `{"Fn::Sub": ...}`, `!GetAtt a.b` → `{"Fn::GetAtt": ["a", "b"]}`).
#[derive(Debug, Clone)]
pub struct Template {
    pub json: Value,
}

/// A resource of the template.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Resource {
    pub logical_id: String,
    pub resource_type: String,
}

impl Template {
    /// The template compiled into this crate.
    pub fn get() -> Result<&'static Template, TemplateError> {
        TEMPLATE.as_ref().map_err(|e| TemplateError::Invalid(e.clone()))
    }

    pub fn parse(yaml: &str) -> Result<Template, TemplateError> {
        let value: serde_yaml::Value = serde_yaml::from_str(yaml)?;
        let json = to_json(value)?;
        if !json.get("Resources").is_some_and(Value::is_object) {
            return Err(TemplateError::Invalid("no Resources section".into()));
        }
        Ok(Template { json })
    }

    fn section(&self, name: &str) -> impl Iterator<Item = (&String, &Value)> {
        self.json.get(name).and_then(Value::as_object).into_iter().flatten()
    }

    /// Parameter names and their defaults (`None` when the template has no default).
    pub fn parameter_defaults(&self) -> BTreeMap<String, Option<String>> {
        self.section("Parameters").map(|(k, v)| (k.clone(), v.get("Default").map(scalar_string))).collect()
    }

    /// The value of every parameter: the given one, else the template's default.
    fn effective(&self, params: &Parameters) -> Result<Parameters, TemplateError> {
        let mut out = Parameters::new();
        for (name, default) in self.parameter_defaults() {
            match params.get(&name).cloned().or(default) {
                Some(v) => {
                    out.insert(name, v);
                }
                None => return Err(TemplateError::Invalid(format!("parameter {name} has no value and no default"))),
            }
        }
        if let Some(unknown) = params.keys().find(|k| !out.contains_key(*k)) {
            return Err(TemplateError::Invalid(format!("unknown parameter {unknown}")));
        }
        Ok(out)
    }

    /// Which of the template's conditions hold for these parameter values.
    pub fn conditions(&self, params: &Parameters) -> Result<BTreeMap<String, bool>, TemplateError> {
        let params = self.effective(params)?;
        let defs: BTreeMap<&String, &Value> = self.section("Conditions").collect();
        let mut out = BTreeMap::new();
        for name in defs.keys() {
            let v = eval_condition(name, &defs, &params, &mut out, 0)?;
            out.insert((*name).clone(), v);
        }
        Ok(out)
    }

    /// The resources CloudFormation creates for these parameter values, by logical id.
    pub fn active_resources(&self, params: &Parameters) -> Result<Vec<Resource>, TemplateError> {
        let conditions = self.conditions(params)?;
        let mut out = Vec::new();
        for (id, r) in self.section("Resources") {
            if holds(r, &conditions)? {
                let resource_type = r.get("Type").and_then(Value::as_str).unwrap_or_default().to_string();
                out.push(Resource { logical_id: id.clone(), resource_type });
            }
        }
        Ok(out)
    }

    /// The template with the conditions applied: resources and outputs whose condition is false
    /// removed, every `Fn::If` replaced by its chosen branch, `AWS::NoValue` dropped, and each
    /// `Ref` to a parameter replaced by its value. (Other functions stay as they are.)
    pub fn resolve(&self, params: &Parameters) -> Result<Value, TemplateError> {
        let conditions = self.conditions(params)?;
        let values: BTreeMap<String, Value> = self
            .effective(params)?
            .into_iter()
            .map(|(k, v)| {
                let is_list = self
                    .json
                    .get("Parameters")
                    .and_then(|p| p.get(&k))
                    .and_then(|p| p.get("Type"))
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.contains("List"));
                let v = if is_list {
                    Value::Array(
                        v.split(',').filter(|s| !s.is_empty()).map(|s| Value::String(s.trim().into())).collect(),
                    )
                } else {
                    Value::String(v)
                };
                (k, v)
            })
            .collect();
        let mut out = Map::new();
        for (section, body) in self.json.as_object().into_iter().flatten() {
            let body = match section.as_str() {
                "Resources" | "Outputs" => {
                    let mut kept = Map::new();
                    for (id, item) in body.as_object().into_iter().flatten() {
                        if holds(item, &conditions)? {
                            let mut item = item.clone();
                            if let Some(o) = item.as_object_mut() {
                                o.remove("Condition");
                            }
                            kept.insert(id.clone(), apply(&item, &conditions, &values)?.unwrap_or(Value::Null));
                        }
                    }
                    Value::Object(kept)
                }
                _ => body.clone(),
            };
            out.insert(section.clone(), body);
        }
        Ok(Value::Object(out))
    }
}

fn holds(item: &Value, conditions: &BTreeMap<String, bool>) -> Result<bool, TemplateError> {
    match item.get("Condition").and_then(Value::as_str) {
        None => Ok(true),
        Some(c) => conditions.get(c).copied().ok_or_else(|| TemplateError::Invalid(format!("unknown condition {c}"))),
    }
}

fn eval_condition(
    name: &str,
    defs: &BTreeMap<&String, &Value>,
    params: &Parameters,
    done: &mut BTreeMap<String, bool>,
    depth: usize,
) -> Result<bool, TemplateError> {
    if let Some(v) = done.get(name) {
        return Ok(*v);
    }
    if depth > 32 {
        return Err(TemplateError::Invalid(format!("condition {name} refers to itself")));
    }
    let def = defs
        .iter()
        .find(|(k, _)| k.as_str() == name)
        .map(|(_, v)| *v)
        .ok_or_else(|| TemplateError::Invalid(format!("unknown condition {name}")))?;
    let v = eval_expr(def, defs, params, done, depth + 1)?;
    done.insert(name.to_string(), v);
    Ok(v)
}

fn eval_expr(
    expr: &Value,
    defs: &BTreeMap<&String, &Value>,
    params: &Parameters,
    done: &mut BTreeMap<String, bool>,
    depth: usize,
) -> Result<bool, TemplateError> {
    let bad = || TemplateError::Invalid(format!("unsupported condition expression {expr}"));
    let (func, args) = single_key(expr).ok_or_else(bad)?;
    let list = || args.as_array().ok_or_else(bad);
    match func {
        "Condition" => eval_condition(args.as_str().ok_or_else(bad)?, defs, params, done, depth),
        "Fn::Not" => Ok(!eval_expr(list()?.first().ok_or_else(bad)?, defs, params, done, depth)?),
        "Fn::And" => {
            let mut all = true;
            for a in list()? {
                all &= eval_expr(a, defs, params, done, depth)?;
            }
            Ok(all)
        }
        "Fn::Or" => {
            let mut any = false;
            for a in list()? {
                any |= eval_expr(a, defs, params, done, depth)?;
            }
            Ok(any)
        }
        "Fn::Equals" => match list()?.as_slice() {
            [a, b] => Ok(operand(a, params).ok_or_else(bad)? == operand(b, params).ok_or_else(bad)?),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

fn operand(v: &Value, params: &Parameters) -> Option<String> {
    match single_key(v) {
        Some(("Ref", Value::String(name))) => params.get(name).cloned(),
        Some(_) => None,
        None => Some(scalar_string(v)),
    }
}

fn single_key(v: &Value) -> Option<(&str, &Value)> {
    let o = v.as_object()?;
    if o.len() != 1 {
        return None;
    }
    o.iter().next().map(|(k, v)| (k.as_str(), v))
}

/// Applies conditions to one value; `None` means `AWS::NoValue` (the member disappears).
fn apply(
    v: &Value,
    conditions: &BTreeMap<String, bool>,
    params: &BTreeMap<String, Value>,
) -> Result<Option<Value>, TemplateError> {
    match v {
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                if let Some(i) = apply(i, conditions, params)? {
                    out.push(i);
                }
            }
            Ok(Some(Value::Array(out)))
        }
        Value::Object(o) => {
            match single_key(v) {
                Some(("Ref", Value::String(r))) if r == "AWS::NoValue" => return Ok(None),
                Some(("Ref", Value::String(r))) if params.contains_key(r) => return Ok(params.get(r).cloned()),
                Some(("Fn::If", Value::Array(args))) if args.len() == 3 => {
                    let name = args
                        .first()
                        .and_then(Value::as_str)
                        .ok_or_else(|| TemplateError::Invalid("Fn::If without a name".into()))?;
                    let c = *conditions
                        .get(name)
                        .ok_or_else(|| TemplateError::Invalid(format!("unknown condition {name}")))?;
                    let branch = args.get(if c { 1 } else { 2 }).unwrap_or(&Value::Null);
                    return apply(branch, conditions, params);
                }
                _ => {}
            }
            let mut out = Map::new();
            for (k, x) in o {
                if let Some(x) = apply(x, conditions, params)? {
                    out.insert(k.clone(), x);
                }
            }
            Ok(Some(Value::Object(out)))
        }
        other => Ok(Some(other.clone())),
    }
}

fn scalar_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// YAML (with CloudFormation's short-form tags) → CloudFormation JSON.
fn to_json(v: serde_yaml::Value) -> Result<Value, TemplateError> {
    use serde_yaml::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(n).map_err(|e| TemplateError::Invalid(e.to_string()))?,
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let k = match k {
                    Y::String(s) => s,
                    other => serde_yaml::to_string(&other)?.trim().to_string(),
                };
                out.insert(k, to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => {
            let tag = t.tag.to_string();
            let tag = tag.trim_start_matches('!');
            let inner = to_json(t.value)?;
            let (key, inner) = match tag {
                "Ref" => ("Ref".to_string(), inner),
                "Condition" => ("Condition".to_string(), inner),
                "GetAtt" => match inner {
                    Value::String(s) => {
                        let (res, attr) = s
                            .split_once('.')
                            .ok_or_else(|| TemplateError::Invalid(format!("!GetAtt {s} has no attribute")))?;
                        ("Fn::GetAtt".to_string(), Value::Array(vec![res.into(), attr.into()]))
                    }
                    other => ("Fn::GetAtt".to_string(), other),
                },
                other => (format!("Fn::{other}"), inner),
            };
            let mut o = Map::new();
            o.insert(key, inner);
            Value::Object(o)
        }
    })
}
