//! Amazon ECR: the repository (made when missing, with scan-on-push and a lifecycle policy
//! that keeps the last images) and the registry login (`GetAuthorizationToken`).

use aws_sdk_ecr::error::ProvideErrorMetadata;
use aws_sdk_ecr::types::{ImageScanningConfiguration, ImageTagMutability};
use base64::Engine;

use super::ImageError;
use super::registry::{Login, Reference};
use crate::aws::describe_error;

/// How many images the lifecycle policy of a new repository keeps.
pub const DEFAULT_KEEP: u32 = 10;

/// `<account>.dkr.ecr.<region>.amazonaws.com[.cn]`: the account and the region.
pub fn parse_host(registry: &str) -> Option<(String, String)> {
    let (account, rest) = registry.split_once(".dkr.ecr.")?;
    let region = rest.strip_suffix(".amazonaws.com").or_else(|| rest.strip_suffix(".amazonaws.com.cn"))?;
    let valid_account = account.len() == 12 && account.chars().all(|c| c.is_ascii_digit());
    let valid_region =
        !region.is_empty() && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (valid_account && valid_region).then(|| (account.to_string(), region.to_string()))
}

/// The lifecycle policy of a new repository: expire all but the newest `keep` images.
pub fn lifecycle_policy(keep: u32) -> String {
    serde_json::json!({
        "rules": [{
            "rulePriority": 1,
            "description": format!("Keep the last {keep} images pushed by Switchboard"),
            "selection": { "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep },
            "action": { "type": "expire" }
        }]
    })
    .to_string()
}

/// What [`prepare`] did.
#[derive(Debug)]
pub struct Prepared {
    /// Whether the repository was made now.
    pub created: bool,
    pub login: Login,
}

/// Makes the repository when it is missing and logs in to the registry.
pub async fn prepare(client: &aws_sdk_ecr::Client, reference: &Reference, keep: u32) -> Result<Prepared, ImageError> {
    let name = &reference.repository;
    let ecr = |step: &str, message: String| ImageError::Ecr { step: step.into(), message };
    let created = match client.describe_repositories().repository_names(name).send().await {
        Ok(_) => false,
        Err(e) if e.code() == Some("RepositoryNotFoundException") => {
            client
                .create_repository()
                .repository_name(name)
                .image_tag_mutability(ImageTagMutability::Mutable)
                .image_scanning_configuration(ImageScanningConfiguration::builder().scan_on_push(true).build())
                .send()
                .await
                .map_err(|e| {
                    ecr(
                        "creating the repository",
                        format!(
                            "{} (the credentials need ecr:CreateRepository)",
                            describe_error("CreateRepository", &e)
                        ),
                    )
                })?;
            client
                .put_lifecycle_policy()
                .repository_name(name)
                .lifecycle_policy_text(lifecycle_policy(keep))
                .send()
                .await
                .map_err(|e| ecr("setting the lifecycle policy", describe_error("PutLifecyclePolicy", &e)))?;
            true
        }
        Err(e) => {
            return Err(ecr(
                "looking for the repository",
                format!(
                    "{} (the credentials need ecr:DescribeRepositories)",
                    describe_error("DescribeRepositories", &e)
                ),
            ));
        }
    };
    let answer = client
        .get_authorization_token()
        .send()
        .await
        .map_err(|e| ecr("logging in", describe_error("GetAuthorizationToken", &e)))?;
    let token = answer
        .authorization_data()
        .first()
        .and_then(|d| d.authorization_token())
        .ok_or_else(|| ecr("logging in", "GetAuthorizationToken answered no token".into()))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| ecr("logging in", "the authorization token is not base64 text".into()))?;
    let (username, password) = decoded
        .split_once(':')
        .ok_or_else(|| ecr("logging in", "the authorization token is not user:password".into()))?;
    Ok(Prepared { created, login: Login { username: username.into(), password: password.into() } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ecr_host_names_its_account_and_region() {
        assert_eq!(
            parse_host("123456789012.dkr.ecr.eu-west-3.amazonaws.com"),
            Some(("123456789012".into(), "eu-west-3".into()))
        );
        assert_eq!(
            parse_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn").map(|h| h.1),
            Some("cn-north-1".into())
        );
        assert_eq!(parse_host("127.0.0.1:5000"), None);
        assert_eq!(parse_host("12345.dkr.ecr.us-east-1.amazonaws.com"), None);
    }

    #[test]
    fn the_lifecycle_policy_keeps_the_last_images() {
        let policy: serde_json::Value = serde_json::from_str(&lifecycle_policy(7)).unwrap();
        let rule = &policy["rules"][0];
        assert_eq!(rule["selection"]["countType"], "imageCountMoreThan");
        assert_eq!(rule["selection"]["countNumber"], 7);
        assert_eq!(rule["action"]["type"], "expire");
    }
}
