//! Which models a caller may use, with LiteLLM's rules: an empty list, `*` or
//! `all-proxy-models` allows everything; entries are model names, wildcards (`bedrock/*`,
//! matched against the name and against the deployment's provider model), or access groups
//! (`model_info.access_groups`); `all-team-models` on a key defers to its team; a key may use
//! what its own list, its team's, its user's and its team's organization's all allow.

/// What a list entry is checked against for one model group.
pub struct ModelFacts<'a> {
    /// The public name.
    pub name: &'a str,
    /// `litellm_params.model` of each deployment.
    pub provider_models: &'a [String],
    /// `model_info.access_groups` of each deployment.
    pub access_groups: &'a [String],
}

fn unrestricted(list: &[String]) -> bool {
    list.is_empty() || list.iter().any(|m| m == "*" || m == "all-proxy-models")
}

pub fn list_allows(list: &[String], model: &ModelFacts<'_>) -> bool {
    if unrestricted(list) {
        return true;
    }
    list.iter().any(|entry| {
        if entry == model.name || model.access_groups.iter().any(|g| g == entry) {
            return true;
        }
        match entry.strip_suffix('*') {
            Some(prefix) => {
                model.name.starts_with(prefix) || model.provider_models.iter().any(|m| m.starts_with(prefix))
            }
            None => false,
        }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    Key,
    Team,
    User,
    /// The organization of the key's team.
    Organization,
}

impl Denied {
    /// Who refused, as LiteLLM's message names it.
    pub fn subject(self) -> &'static str {
        match self {
            Denied::Key => "key",
            Denied::Team => "team",
            Denied::User => "user",
            Denied::Organization => "org",
        }
    }
}

/// A list as LiteLLM's messages print it (Python's `repr`): `['a', 'b']`.
pub fn python_list(items: &[String]) -> String {
    let quoted: Vec<String> =
        items.iter().map(|i| format!("'{}'", i.replace('\\', "\\\\").replace('\'', "\\'"))).collect();
    format!("[{}]", quoted.join(", "))
}

/// Key list, then team list, then user list, then the team's organization's list (key ∩ team ∩
/// user ∩ organization); `all-team-models` makes the key list defer to the team.
pub fn check(
    key_models: &[String],
    team_models: Option<&[String]>,
    user_models: Option<&[String]>,
    organization_models: Option<&[String]>,
    model: &ModelFacts<'_>,
) -> Result<(), Denied> {
    let key_defers = key_models.iter().any(|m| m == "all-team-models");
    if !key_defers && !list_allows(key_models, model) {
        return Err(Denied::Key);
    }
    if let Some(team) = team_models
        && !list_allows(team, model)
    {
        return Err(Denied::Team);
    }
    if let Some(user) = user_models
        && !list_allows(user, model)
    {
        return Err(Denied::User);
    }
    if let Some(organization) = organization_models
        && !list_allows(organization, model)
    {
        return Err(Denied::Organization);
    }
    Ok(())
}

/// The access group names (`model_info.access_groups`) a caller may see listed, as LiteLLM's
/// `/models?include_model_access_groups=true` lists them: the group names in the key's list
/// (in the team's, when the key has none or defers to it with `all-team-models`), or every group
/// when neither list restricts. `all_groups` is every group the deployments name.
pub fn visible_access_groups(
    key_models: &[String],
    team_models: Option<&[String]>,
    all_groups: &[String],
) -> Vec<String> {
    let key_defers = key_models.iter().any(|m| m == "all-team-models");
    let list = if !key_defers && !unrestricted(key_models) {
        key_models
    } else {
        match team_models {
            Some(team) if !unrestricted(team) => team,
            _ => all_groups,
        }
    };
    let mut groups: Vec<String> = Vec::new();
    for entry in list {
        if all_groups.contains(entry) && !groups.contains(entry) {
            groups.push(entry.clone());
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(name: &'a str, provider: &'a [String], groups: &'a [String]) -> ModelFacts<'a> {
        ModelFacts { name, provider_models: provider, access_groups: groups }
    }

    fn l(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rules() {
        let bedrock = l(&["bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0"]);
        let groups = l(&["beta"]);
        let haiku = facts("claude-haiku", &bedrock, &groups);
        assert!(list_allows(&[], &haiku));
        assert!(list_allows(&l(&["*"]), &haiku));
        assert!(list_allows(&l(&["claude-haiku"]), &haiku));
        assert!(list_allows(&l(&["bedrock/*"]), &haiku));
        assert!(list_allows(&l(&["claude-*"]), &haiku));
        assert!(list_allows(&l(&["beta"]), &haiku));
        assert!(!list_allows(&l(&["claude-sonnet", "openai/*"]), &haiku));
    }

    #[test]
    fn key_and_team_layers() {
        let none: Vec<String> = vec![];
        let haiku = facts("claude-haiku", &none, &none);
        let team = l(&["claude-sonnet", "claude-haiku"]);
        assert_eq!(check(&[], Some(&team), None, None, &haiku), Ok(()));
        assert_eq!(check(&l(&["all-team-models"]), Some(&team), None, None, &haiku), Ok(()));
        assert_eq!(check(&l(&["claude-sonnet"]), Some(&team), None, None, &haiku), Err(Denied::Key));
        let gpt = facts("gpt-4o", &none, &none);
        assert_eq!(check(&[], Some(&team), None, None, &gpt), Err(Denied::Team));
        assert_eq!(check(&l(&["gpt-4o"]), Some(&team), None, None, &gpt), Err(Denied::Team), "key ∩ team");
        assert_eq!(check(&[], None, None, None, &gpt), Ok(()));
        let user = l(&["claude-haiku"]);
        assert_eq!(check(&[], Some(&team), Some(&user), None, &haiku), Ok(()));
        let sonnet = facts("claude-sonnet", &none, &none);
        assert_eq!(check(&[], Some(&team), Some(&user), None, &sonnet), Err(Denied::User), "key ∩ team ∩ user");
        assert_eq!(check(&[], None, Some(&[]), None, &gpt), Ok(()), "a user without a list may use everything");
        let organization = l(&["claude-haiku"]);
        assert_eq!(check(&[], Some(&team), None, Some(&organization), &haiku), Ok(()));
        assert_eq!(
            check(&[], Some(&team), None, Some(&organization), &sonnet),
            Err(Denied::Organization),
            "key ∩ team ∩ user ∩ organization"
        );
        assert_eq!(check(&[], None, None, Some(&[]), &gpt), Ok(()), "an organization without a list allows everything");
    }

    #[test]
    fn access_groups_a_caller_sees() {
        let all = l(&["beta", "internal"]);
        assert_eq!(visible_access_groups(&[], None, &all), all, "unrestricted: every group");
        assert_eq!(visible_access_groups(&l(&["beta", "gpt-4o"]), None, &all), l(&["beta"]));
        assert_eq!(visible_access_groups(&l(&["gpt-4o"]), None, &all), Vec::<String>::new());
        let team = l(&["internal"]);
        assert_eq!(visible_access_groups(&[], Some(&team), &all), l(&["internal"]), "the team's list");
        assert_eq!(visible_access_groups(&l(&["all-team-models"]), Some(&team), &all), l(&["internal"]));
        assert_eq!(visible_access_groups(&l(&["*"]), Some(&[]), &all), all);
    }

    #[test]
    fn lists_print_as_litellm_prints_them() {
        assert_eq!(python_list(&l(&["gpt-4o", "claude-haiku"])), "['gpt-4o', 'claude-haiku']");
        assert_eq!(python_list(&[]), "[]");
        assert_eq!(python_list(&l(&["it's"])), "['it\\'s']");
    }
}
