//! A harness's members beside its model and prompt, as Create/UpdateHarness take them: `tools`,
//! `allowedTools`, `skills`, `memory` (wrapped in `{optionalValue}` on update, so that it can be
//! cleared), `truncation`, `hooks`, `environmentVariables`, `maxIterations`, `maxTokens`,
//! `timeoutSeconds`.
//! Checked like the service checks its model: required members, unions with exactly one member,
//! enum values, a tool's configuration matching its type, positive counts. Kept as sent and
//! shown back by GetHarness (a managed memory gets the ARN AgentCore would give it).

use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{ACCOUNT, constraint, missing, random_suffix, union_member, validation};

const TOOL_TYPES: &[(&str, &str)] = &[
    ("remote_mcp", "remoteMcp"),
    ("agentcore_browser", "agentCoreBrowser"),
    ("agentcore_gateway", "agentCoreGateway"),
    ("inline_function", "inlineFunction"),
    ("agentcore_code_interpreter", "agentCoreCodeInterpreter"),
];

/// The members kept as sent (memory aside).
const KEPT: &[&str] = &[
    "tools",
    "skills",
    "allowedTools",
    "truncation",
    "hooks",
    "environmentVariables",
    "maxIterations",
    "maxTokens",
    "timeoutSeconds",
];

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Response> {
    v.as_object().ok_or_else(|| validation(&format!("{path}: expected an object")))
}

fn required_string<'a>(o: &'a Map<String, Value>, member: &str, path: &str) -> Result<&'a str, Response> {
    match o.get(member) {
        None | Some(Value::Null) => Err(missing(&format!("{path}.{member}"))),
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(v) => {
            Err(constraint(&v.to_string(), &format!("{path}.{member}"), "have length greater than or equal to 1"))
        }
    }
}

fn string_map(v: &Value, path: &str) -> Result<(), Response> {
    let o = object(v, path)?;
    match o.iter().find(|(k, v)| k.is_empty() || !v.is_string()) {
        Some((k, _)) => Err(validation(&format!("{path}.{k}: expected a string value and a non-empty key"))),
        None => Ok(()),
    }
}

fn positive(body: &Map<String, Value>, member: &str, path: &str) -> Result<(), Response> {
    match body.get(member) {
        None | Some(Value::Null) => Ok(()),
        Some(v) => match v.as_i64() {
            Some(n) if n >= 1 && n <= i64::from(i32::MAX) => Ok(()),
            _ => Err(constraint(&v.to_string(), &format!("{path}{member}"), "have value greater than or equal to 1")),
        },
    }
}

fn list<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, Response> {
    v.as_array().ok_or_else(|| validation(&format!("{path}: expected a list")))
}

fn check_tool(tool: &Value, i: usize) -> Result<(), Response> {
    let path = format!("tools[{i}]");
    let t = object(tool, &path)?;
    let kind = required_string(t, "type", &path)?;
    let Some((_, config_member)) = TOOL_TYPES.iter().find(|(k, _)| *k == kind) else {
        let allowed: Vec<&str> = TOOL_TYPES.iter().map(|(k, _)| *k).collect();
        return Err(constraint(
            kind,
            &format!("{path}.type"),
            &format!("satisfy enum value set: [{}]", allowed.join(", ")),
        ));
    };
    if let Some(name) = t.get("name").filter(|n| !n.is_null()) {
        match name.as_str() {
            Some(n) if !n.is_empty() && n.len() <= 64 => {}
            _ => return Err(constraint(&name.to_string(), &format!("{path}.name"), "have length between 1 and 64")),
        }
    }
    let needs_config = matches!(kind, "remote_mcp" | "agentcore_gateway" | "inline_function");
    let Some(config) = t.get("config").filter(|c| !c.is_null()) else {
        return if needs_config { Err(missing(&format!("{path}.config.{config_member}"))) } else { Ok(()) };
    };
    let members: Vec<&str> = TOOL_TYPES.iter().map(|(_, m)| *m).collect();
    let (member, value) = union_member(config, &members, &format!("{path}.config"))?;
    if member != *config_member {
        return Err(validation(&format!(
            "{path}.config: a tool of type {kind} takes the {config_member} configuration, not {member}"
        )));
    }
    let cpath = format!("{path}.config.{member}");
    let c = object(value, &cpath)?;
    match member {
        "remoteMcp" => {
            let url = required_string(c, "url", &cpath)?;
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(constraint(url, &format!("{cpath}.url"), "be an http or https URL"));
            }
            if let Some(h) = c.get("headers").filter(|h| !h.is_null()) {
                string_map(h, &format!("{cpath}.headers"))?;
            }
        }
        "agentCoreGateway" => {
            required_string(c, "gatewayArn", &cpath)?;
            if let Some(auth) = c.get("outboundAuth").filter(|a| !a.is_null()) {
                let apath = format!("{cpath}.outboundAuth");
                let (variant, inner) = union_member(auth, &["awsIam", "none", "oauth"], &apath)?;
                if variant == "oauth" {
                    let o = object(inner, &format!("{apath}.oauth"))?;
                    required_string(o, "providerArn", &format!("{apath}.oauth"))?;
                    if !o.get("scopes").is_some_and(Value::is_array) {
                        return Err(missing(&format!("{apath}.oauth.scopes")));
                    }
                    let grant = required_string(o, "grantType", &format!("{apath}.oauth"))?;
                    if !["CLIENT_CREDENTIALS", "AUTHORIZATION_CODE", "TOKEN_EXCHANGE"].contains(&grant) {
                        return Err(constraint(grant, &format!("{apath}.oauth.grantType"), "satisfy enum value set"));
                    }
                }
            }
        }
        "inlineFunction" => {
            required_string(c, "description", &cpath)?;
            match c.get("inputSchema") {
                None | Some(Value::Null) => return Err(missing(&format!("{cpath}.inputSchema"))),
                Some(Value::Object(_)) => {}
                Some(_) => return Err(validation(&format!("{cpath}.inputSchema: expected a JSON object"))),
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_skill(skill: &Value, i: usize) -> Result<(), Response> {
    let path = format!("skills[{i}]");
    let (member, value) = union_member(skill, &["path", "git", "s3", "awsSkills"], &path)?;
    match member {
        "path" if value.as_str().is_none_or(str::is_empty) => {
            Err(constraint(&value.to_string(), &format!("{path}.path"), "have length greater than or equal to 1"))
        }
        "git" => {
            let g = object(value, &format!("{path}.git"))?;
            required_string(g, "url", &format!("{path}.git"))?;
            if let Some(auth) = g.get("auth").filter(|a| !a.is_null()) {
                required_string(
                    object(auth, &format!("{path}.git.auth"))?,
                    "credentialArn",
                    &format!("{path}.git.auth"),
                )?;
            }
            Ok(())
        }
        "s3" => required_string(object(value, &format!("{path}.s3"))?, "uri", &format!("{path}.s3")).map(|_| ()),
        "awsSkills" => match object(value, &format!("{path}.awsSkills"))?.get("paths") {
            None | Some(Value::Null) => Ok(()),
            Some(p) => list(p, &format!("{path}.awsSkills.paths")).map(|_| ()),
        },
        _ => Ok(()),
    }
}

fn check_memory(memory: &Value, path: &str) -> Result<(), Response> {
    let (member, value) =
        union_member(memory, &["agentCoreMemoryConfiguration", "disabled", "managedMemoryConfiguration"], path)?;
    let mpath = format!("{path}.{member}");
    let m = object(value, &mpath)?;
    match member {
        "agentCoreMemoryConfiguration" => {
            required_string(m, "arn", &mpath)?;
            positive(m, "messagesCount", &format!("{mpath}."))?;
            if let Some(r) = m.get("retrievalConfig").filter(|r| !r.is_null()) {
                for (ns, config) in object(r, &format!("{mpath}.retrievalConfig"))? {
                    let c = object(config, &format!("{mpath}.retrievalConfig.{ns}"))?;
                    positive(c, "topK", &format!("{mpath}.retrievalConfig.{ns}."))?;
                    if let Some(score) = c.get("relevanceScore").and_then(Value::as_f64)
                        && !(0.0..=1.0 + 1e-6).contains(&score)
                    {
                        return Err(constraint(
                            &score.to_string(),
                            &format!("{mpath}.retrievalConfig.{ns}.relevanceScore"),
                            "have value between 0 and 1",
                        ));
                    }
                }
            }
        }
        "managedMemoryConfiguration" => {
            positive(m, "eventExpiryDuration", &format!("{mpath}."))?;
            let allowed = ["SEMANTIC", "SUMMARIZATION", "USER_PREFERENCE", "EPISODIC"];
            for s in
                m.get("strategies").map(|s| list(s, &format!("{mpath}.strategies"))).transpose()?.into_iter().flatten()
            {
                if !s.as_str().is_some_and(|s| allowed.contains(&s)) {
                    return Err(constraint(&s.to_string(), &format!("{mpath}.strategies"), "satisfy enum value set"));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_truncation(t: &Value) -> Result<(), Response> {
    let o = object(t, "truncation")?;
    let strategy = required_string(o, "strategy", "truncation")?;
    if !["none", "sliding_window", "summarization"].contains(&strategy) {
        return Err(constraint(
            strategy,
            "truncation.strategy",
            "satisfy enum value set: [none, sliding_window, summarization]",
        ));
    }
    let Some(config) = o.get("config").filter(|c| !c.is_null()) else { return Ok(()) };
    let (member, value) = union_member(config, &["slidingWindow", "summarization"], "truncation.config")?;
    let expected = match strategy {
        "sliding_window" => "slidingWindow",
        "summarization" => "summarization",
        _ => "",
    };
    if member != expected {
        return Err(validation(&format!(
            "truncation.config: strategy {strategy} does not take the {member} configuration"
        )));
    }
    let c = object(value, &format!("truncation.config.{member}"))?;
    positive(c, "messagesCount", &format!("truncation.config.{member}."))?;
    if let Some(r) = c.get("summaryRatio").and_then(Value::as_f64)
        && !(r > 0.0 && r <= 1.0 + 1e-6)
    {
        return Err(constraint(
            &r.to_string(),
            "truncation.config.summarization.summaryRatio",
            "have value between 0 and 1",
        ));
    }
    Ok(())
}

fn check_hook(hook: &Value, i: usize) -> Result<(), Response> {
    let path = format!("hooks[{i}]");
    let (member, value) =
        union_member(hook, &["beforeInvocation", "afterInvocation", "beforeToolCall", "afterToolCall"], &path)?;
    let hpath = format!("{path}.{member}");
    let h = object(value, &hpath)?;
    required_string(h, "name", &hpath)?;
    let Some(target) = h.get("target").filter(|t| !t.is_null()) else { return Ok(()) };
    let tpath = format!("{hpath}.target");
    let (kind, t) = union_member(target, &["lambda", "sns", "eventBridge"], &tpath)?;
    let t = object(t, &format!("{tpath}.{kind}"))?;
    required_string(t, "arn", &format!("{tpath}.{kind}"))?;
    if kind == "lambda" {
        positive(t, "timeoutSeconds", &format!("{tpath}.lambda."))?;
        if let Some(mode) = t.get("failureMode").filter(|m| !m.is_null())
            && !mode.as_str().is_some_and(|m| m == "allow" || m == "deny")
        {
            return Err(constraint(
                &mode.to_string(),
                &format!("{tpath}.lambda.failureMode"),
                "satisfy enum value set: [allow, deny]",
            ));
        }
    }
    Ok(())
}

/// Checks the members of a Create (`update: false`) or UpdateHarness body.
pub(super) fn check(body: &Map<String, Value>, update: bool) -> Result<(), Response> {
    let present = |m: &str| body.get(m).filter(|v| !v.is_null());
    if let Some(tools) = present("tools") {
        for (i, t) in list(tools, "tools")?.iter().enumerate() {
            check_tool(t, i)?;
        }
    }
    if let Some(allowed) = present("allowedTools") {
        for (i, a) in list(allowed, "allowedTools")?.iter().enumerate() {
            if a.as_str().is_none_or(str::is_empty) {
                return Err(constraint(
                    &a.to_string(),
                    &format!("allowedTools[{i}]"),
                    "have length greater than or equal to 1",
                ));
            }
        }
    }
    if let Some(skills) = present("skills") {
        for (i, s) in list(skills, "skills")?.iter().enumerate() {
            check_skill(s, i)?;
        }
    }
    if let Some(memory) = present("memory") {
        if update {
            let wrapper = object(memory, "memory")?;
            if let Some(inner) = wrapper.get("optionalValue").filter(|v| !v.is_null()) {
                check_memory(inner, "memory.optionalValue")?;
            }
        } else {
            check_memory(memory, "memory")?;
        }
    }
    if let Some(t) = present("truncation") {
        check_truncation(t)?;
    }
    if let Some(hooks) = present("hooks") {
        for (i, h) in list(hooks, "hooks")?.iter().enumerate() {
            check_hook(h, i)?;
        }
    }
    if let Some(env) = present("environmentVariables") {
        string_map(env, "environmentVariables")?;
    }
    for member in ["maxIterations", "maxTokens", "timeoutSeconds"] {
        positive(body, member, "")?;
    }
    Ok(())
}

/// Keeps the members a Create or UpdateHarness body sets.
pub(super) fn apply(extra: &mut Map<String, Value>, body: &Map<String, Value>, update: bool, region: &str, name: &str) {
    for k in KEPT {
        if let Some(v) = body.get(*k).filter(|v| !v.is_null()) {
            extra.insert(k.to_string(), v.clone());
        }
    }
    let memory = match body.get("memory").filter(|m| !m.is_null()) {
        None => return,
        Some(m) if update => m.get("optionalValue").filter(|v| !v.is_null()).cloned(),
        Some(m) => Some(m.clone()),
    };
    match memory {
        None => {
            extra.remove("memory");
        }
        Some(mut m) => {
            if let Some(managed) = m.get_mut("managedMemoryConfiguration").and_then(Value::as_object_mut) {
                let arn = extra
                    .get("memory")
                    .and_then(|old| old["managedMemoryConfiguration"]["arn"].as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| {
                        format!("arn:aws:bedrock-agentcore:{region}:{ACCOUNT}:memory/{name}_mem-{}", random_suffix())
                    });
                managed.insert("arn".into(), json!(arn));
            }
            extra.insert("memory".into(), m);
        }
    }
}
