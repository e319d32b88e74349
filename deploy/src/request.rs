//! The deploy form: what the panel (or `switchboard deploy up`) sends, its validation, and the
//! CloudFormation parameters it becomes. Everything here runs before any AWS call.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::template::Parameters;

/// CloudFormation caps a parameter value at 4,096 bytes.
pub const MAX_PARAMETER_BYTES: usize = 4096;

/// The deploy form. Field names are the JSON the panel sends; every field but `region` has a
/// default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DeployRequest {
    /// AWS region, e.g. `us-east-1`.
    pub region: String,
    /// A profile of `~/.aws/config` (SSO works); empty = the default credential chain.
    pub profile: Option<String>,
    /// Names the stack, the ECS cluster, the log group (`/ecs/<prefix>`) and tags.
    pub name_prefix: String,
    /// The gateway image, e.g. `<account>.dkr.ecr.<region>.amazonaws.com/switchboard:0.1.0`;
    /// empty = the deploy builds the gateway's image and pushes it to `image_repository`.
    pub image_uri: String,
    /// Where a built image goes (`host[:port]/name`); empty = the account's ECR repository named
    /// after `name_prefix`, created when missing. Only without `image_uri`.
    pub image_repository: Option<String>,
    pub cpu_architecture: CpuArchitecture,
    /// Fargate CPU units (256, 512, 1024, 2048, 4096).
    pub cpu: u32,
    /// Fargate memory in MiB; a valid combination with `cpu`.
    pub memory: u32,
    pub desired_count: u32,
    pub enable_rds: bool,
    pub db_instance_class: String,
    pub enable_redis: bool,
    pub cache_node_type: String,
    pub network: Network,
    /// An ACM certificate ARN in `region`: HTTPS on 443, and 80 redirects to it.
    pub certificate_arn: Option<String>,
    /// With a certificate: the name it covers (you point a CNAME at the ALB); used for the URL.
    pub domain_name: Option<String>,
    /// An existing secret holding the master key; empty = generate `sk-` + 48 characters.
    pub master_key_secret_arn: Option<String>,
    /// A LiteLLM config.yaml (text); empty = the seed's claude-sonnet and claude-haiku in `region`.
    pub models_config: Option<String>,
    pub log_retention_days: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum CpuArchitecture {
    #[default]
    #[serde(rename = "X86_64", alias = "x86_64", alias = "amd64")]
    X86_64,
    #[serde(alias = "arm64", alias = "aarch64")]
    Arm64,
}

impl CpuArchitecture {
    pub fn as_str(self) -> &'static str {
        match self {
            CpuArchitecture::X86_64 => "X86_64",
            CpuArchitecture::Arm64 => "ARM64",
        }
    }
}

/// Where the gateway runs: a new VPC, or subnets of an existing one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum Network {
    /// A VPC with two public and two private subnets (quarters of `vpc_cidr`) in two AZs, an
    /// internet gateway and one NAT gateway.
    New {
        #[serde(default = "default_vpc_cidr")]
        vpc_cidr: String,
    },
    /// The ALB goes in `public_subnet_ids`, tasks/RDS/Redis in `private_subnet_ids` (which need
    /// outbound access to ECR, Secrets Manager, CloudWatch Logs and Bedrock).
    Existing { vpc_id: String, public_subnet_ids: Vec<String>, private_subnet_ids: Vec<String> },
}

fn default_vpc_cidr() -> String {
    "10.0.0.0/16".into()
}

impl Default for Network {
    fn default() -> Self {
        Network::New { vpc_cidr: default_vpc_cidr() }
    }
}

impl Default for DeployRequest {
    fn default() -> Self {
        DeployRequest {
            region: String::new(),
            profile: None,
            name_prefix: "switchboard".into(),
            image_uri: String::new(),
            image_repository: None,
            cpu_architecture: CpuArchitecture::X86_64,
            cpu: 512,
            memory: 1024,
            desired_count: 1,
            enable_rds: true,
            db_instance_class: "db.t4g.micro".into(),
            enable_redis: false,
            cache_node_type: "cache.t4g.micro".into(),
            network: Network::default(),
            certificate_arn: None,
            domain_name: None,
            master_key_secret_arn: None,
            models_config: None,
            log_retention_days: 30,
        }
    }
}

/// A problem with one field of the form (`field` is the JSON name, dotted for nested ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldIssue {
    pub field: String,
    pub message: String,
}

/// The outcome of validating a form: errors stop the deploy, warnings are shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Validation {
    pub errors: Vec<FieldIssue>,
    pub warnings: Vec<FieldIssue>,
}

impl Validation {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldIssue { field: field.into(), message: message.into() });
    }
    pub fn warn(&mut self, field: &str, message: impl Into<String>) {
        self.warnings.push(FieldIssue { field: field.into(), message: message.into() });
    }
}

impl std::fmt::Display for Validation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        f.write_str(&parts.join("; "))
    }
}

/// Valid Fargate (cpu, memory) combinations, memory in MiB: (cpu, min, max, step).
const FARGATE_SIZES: &[(u32, u32, u32, u32)] = &[
    (256, 512, 2048, 0),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
];

/// The memory sizes Fargate accepts with `cpu` (empty for an unknown cpu).
pub fn fargate_memory_options(cpu: u32) -> Vec<u32> {
    match FARGATE_SIZES.iter().find(|(c, ..)| *c == cpu) {
        Some((256, ..)) => vec![512, 1024, 2048],
        Some(&(_, min, max, step)) => (min..=max).step_by(step as usize).collect(),
        None => Vec::new(),
    }
}

pub const LOG_RETENTION_DAYS: &[u32] = &[1, 3, 5, 7, 14, 30, 60, 90, 180, 365];
pub const MAX_DESIRED_COUNT: u32 = 10;

impl DeployRequest {
    /// The stack is named after the prefix, as the seed's `name_prefix` names its resources.
    pub fn stack_name(&self) -> &str {
        &self.name_prefix
    }

    /// Checks every field; nothing is sent anywhere.
    pub fn validate(&self) -> Validation {
        let mut v = Validation::default();
        if let Err(e) = check_region(&self.region) {
            v.error("region", e);
        }
        if let Some(p) = self.profile.as_deref().filter(|p| !p.is_empty())
            && (p.len() > 64 || !p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@+".contains(c)))
        {
            v.error("profile", "a profile name is letters, digits and - _ . @ +");
        }
        if let Err(e) = check_name_prefix(&self.name_prefix) {
            v.error("name_prefix", e);
        }
        if self.builds_image() {
            if let Some(Err(e)) = self.image_repository().map(str::parse::<crate::image::registry::Reference>) {
                v.error("image_repository", e);
            }
        } else if self.image_repository().is_some() {
            v.error(
                "image_repository",
                "only for an image the deploy builds: leave it empty with image_uri, or leave image_uri empty",
            );
        } else {
            match check_image_uri(&self.image_uri) {
                Err(e) => v.error("image_uri", e),
                Ok(ImageRef { tag, digest }) => {
                    if digest.is_none() && matches!(tag.as_deref(), None | Some("latest")) {
                        v.warn(
                            "image_uri",
                            "use a versioned tag (or a digest): an update with the same image URI does not start new tasks",
                        );
                    }
                }
            }
        }
        let memory_options = fargate_memory_options(self.cpu);
        if memory_options.is_empty() {
            v.error("cpu", "Fargate CPU is 256, 512, 1024, 2048 or 4096 units (1024 = 1 vCPU)");
        } else if !memory_options.contains(&self.memory)
            && let (Some(lo), Some(hi)) = (memory_options.first(), memory_options.last())
        {
            v.error(
                "memory",
                format!("with {} CPU units Fargate takes {lo}-{hi} MiB in steps of 1024 (512 also with 256)", self.cpu),
            );
        }
        if self.desired_count > MAX_DESIRED_COUNT {
            v.error("desired_count", format!("0 to {MAX_DESIRED_COUNT} tasks"));
        }
        if !LOG_RETENTION_DAYS.contains(&self.log_retention_days) {
            v.error("log_retention_days", format!("one of {LOG_RETENTION_DAYS:?}"));
        }
        if self.enable_rds && !is_instance_class(&self.db_instance_class, "db") {
            v.error("db_instance_class", "an RDS instance class such as db.t4g.micro");
        }
        if self.enable_redis && !is_instance_class(&self.cache_node_type, "cache") {
            v.error("cache_node_type", "an ElastiCache node type such as cache.t4g.micro");
        }
        match &self.network {
            Network::New { vpc_cidr } => match parse_cidr(vpc_cidr) {
                Err(e) => v.error("network.vpc_cidr", e),
                Ok((_, prefix)) if !(16..=24).contains(&prefix) => {
                    v.error("network.vpc_cidr", "a VPC between /16 and /24 (it is split into four subnets)")
                }
                Ok(_) => {}
            },
            Network::Existing { vpc_id, public_subnet_ids, private_subnet_ids } => {
                if !is_aws_id(vpc_id, "vpc") {
                    v.error("network.vpc_id", "a VPC id: vpc- and 8 or 17 hexadecimal digits");
                }
                for (field, ids, what) in [
                    ("network.public_subnet_ids", public_subnet_ids, "the load balancer"),
                    ("network.private_subnet_ids", private_subnet_ids, "the tasks, RDS and Redis"),
                ] {
                    if let Some(bad) = ids.iter().find(|s| !is_aws_id(s, "subnet")) {
                        v.error(field, format!("{bad:?} is not a subnet id (subnet- and 8 or 17 hexadecimal digits)"));
                    } else if ids.len() < 2 {
                        v.error(field, format!("two or more subnets in different Availability Zones for {what}"));
                    } else if ids.iter().enumerate().any(|(i, id)| ids.iter().take(i).any(|earlier| earlier == id)) {
                        v.error(field, "a subnet is listed twice");
                    }
                }
                if public_subnet_ids.iter().any(|s| private_subnet_ids.contains(s)) {
                    v.warn(
                        "network.private_subnet_ids",
                        "a subnet is both public and private: tasks get no public IP, so it needs a NAT route",
                    );
                }
            }
        }
        match self.certificate_arn.as_deref().filter(|s| !s.is_empty()) {
            Some(arn) => {
                match parse_arn(arn, "acm") {
                    Some(a) if a.resource.starts_with("certificate/") => {
                        if !self.region.is_empty() && a.region != self.region {
                            v.error(
                                "certificate_arn",
                                format!(
                                    "the certificate is in {}; the load balancer needs one in {}",
                                    a.region, self.region
                                ),
                            );
                        }
                    }
                    _ => v.error(
                        "certificate_arn",
                        "an ACM certificate ARN: arn:aws:acm:<region>:<account>:certificate/<id>",
                    ),
                }
                match self.domain_name.as_deref().filter(|s| !s.is_empty()) {
                    Some(d) if !is_hostname(d) => v.error("domain_name", "a host name such as llm.example.com"),
                    Some(_) => {}
                    None => v.warn(
                        "domain_name",
                        "without the domain name the certificate covers, the URL is https://<load balancer name>, which the certificate does not match",
                    ),
                }
            }
            None => {
                if self.domain_name.as_deref().is_some_and(|d| !d.is_empty()) {
                    v.error("domain_name", "a domain name needs a certificate_arn (it is only used for HTTPS)");
                }
                v.warn(
                    "certificate_arn",
                    "without a certificate the gateway is plain HTTP: keys (and the master key) cross the internet unencrypted",
                );
            }
        }
        if let Some(arn) = self.master_key_secret_arn.as_deref().filter(|s| !s.is_empty())
            && !parse_arn(arn, "secretsmanager").is_some_and(|a| a.resource.starts_with("secret:"))
        {
            v.error(
                "master_key_secret_arn",
                "a Secrets Manager secret ARN: arn:aws:secretsmanager:<region>:<account>:secret:<name>",
            );
        }
        if let Some(config) = self.models_config.as_deref().filter(|s| !s.trim().is_empty()) {
            if let Err(e) = check_models_config(config) {
                v.error("models_config", e);
            } else if encoded_len(config) > MAX_PARAMETER_BYTES {
                v.error(
                    "models_config",
                    format!(
                        "{} bytes once base64-encoded; CloudFormation takes at most {MAX_PARAMETER_BYTES}: keep the config short and add models with /model/new once deployed",
                        encoded_len(config)
                    ),
                );
            }
        }
        if !self.enable_rds {
            v.warn(
                "enable_rds",
                "without RDS, virtual keys, teams and spend are kept in SQLite inside the task and lost whenever it is replaced (every update)",
            );
            if self.desired_count > 1 {
                v.warn(
                    "desired_count",
                    "without RDS each task has its own keys: a key made through one task is unknown to the others",
                );
            }
        }
        if self.enable_rds && !self.enable_redis && self.desired_count > 1 {
            v.warn(
                "enable_redis",
                "without Redis each task counts rate limits (rpm, tpm, parallel requests) on its own, so a key can make its limit once per task; keys, changes and budgets are shared through RDS either way",
            );
        }
        v
    }

    /// The form names no image: the deploy builds the gateway's and pushes it.
    pub fn builds_image(&self) -> bool {
        self.image_uri.trim().is_empty()
    }

    /// `image_repository`, when given.
    pub fn image_repository(&self) -> Option<&str> {
        self.image_repository.as_deref().map(str::trim).filter(|r| !r.is_empty())
    }

    /// The CloudFormation parameters for this form (every parameter is given, so an update
    /// never keeps a stale value). Call after `validate`.
    pub fn parameters(&self) -> Parameters {
        let mut p = Parameters::new();
        let mut set = |k: &str, v: String| {
            p.insert(k.to_string(), v);
        };
        set("NamePrefix", self.name_prefix.clone());
        set("ImageUri", self.image_uri.clone());
        set("CpuArchitecture", self.cpu_architecture.as_str().into());
        set("Cpu", self.cpu.to_string());
        set("Memory", self.memory.to_string());
        set("DesiredCount", self.desired_count.to_string());
        set(
            "ModelsConfig",
            self.models_config.as_deref().filter(|c| !c.trim().is_empty()).map(encode).unwrap_or_default(),
        );
        set("MasterKeySecretArn", self.master_key_secret_arn.clone().unwrap_or_default());
        set("LogRetentionDays", self.log_retention_days.to_string());
        match &self.network {
            Network::New { vpc_cidr } => {
                set("VpcId", String::new());
                set("PublicSubnetIds", String::new());
                set("PrivateSubnetIds", String::new());
                set("VpcCidr", vpc_cidr.clone());
                if let Ok(quarters) = subnet_quarters(vpc_cidr) {
                    for (name, cidr) in
                        ["PublicSubnet1Cidr", "PublicSubnet2Cidr", "PrivateSubnet1Cidr", "PrivateSubnet2Cidr"]
                            .iter()
                            .zip(quarters)
                    {
                        set(name, cidr);
                    }
                }
            }
            Network::Existing { vpc_id, public_subnet_ids, private_subnet_ids } => {
                set("VpcId", vpc_id.clone());
                set("PublicSubnetIds", public_subnet_ids.join(","));
                set("PrivateSubnetIds", private_subnet_ids.join(","));
            }
        }
        set("CertificateArn", self.certificate_arn.clone().unwrap_or_default());
        set(
            "DomainName",
            if self.certificate_arn.as_deref().is_some_and(|c| !c.is_empty()) {
                self.domain_name.clone().unwrap_or_default()
            } else {
                String::new()
            },
        );
        set("EnableRds", self.enable_rds.to_string());
        set("DbInstanceClass", self.db_instance_class.clone());
        set("EnableRedis", self.enable_redis.to_string());
        set("CacheNodeType", self.cache_node_type.clone());
        p
    }
}

fn encode(config: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(config.as_bytes())
}

fn encoded_len(config: &str) -> usize {
    config.len().div_ceil(3) * 4
}

/// The config must be a LiteLLM config.yaml: a mapping, with `model_list` a list if present.
/// (The gateway checks the rest when the task starts; `switchboard check-config` does it locally.)
fn check_models_config(text: &str) -> Result<(), String> {
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let map =
        value.as_mapping().ok_or("a LiteLLM config.yaml is a mapping (model_list: ..., general_settings: ...)")?;
    match map.get("model_list") {
        None | Some(serde_yaml::Value::Sequence(_)) => Ok(()),
        Some(_) => Err("model_list must be a list of models".into()),
    }
}

pub fn check_region(region: &str) -> Result<(), String> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = match parts.split_last() {
        Some((number, words)) if words.len() >= 2 => {
            words.first().is_some_and(|w| w.len() == 2)
                && words.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
                && number.len() <= 2
                && !number.is_empty()
                && number.chars().all(|c| c.is_ascii_digit())
        }
        _ => false,
    };
    if ok { Ok(()) } else { Err("an AWS region such as us-east-1".into()) }
}

pub fn check_name_prefix(name: &str) -> Result<(), String> {
    let msg = "3-32 lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen";
    let ok = (3..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        return Err(msg.into());
    }
    if name.contains("--") {
        return Err("no two hyphens in a row".into());
    }
    Ok(())
}

struct ImageRef {
    tag: Option<String>,
    digest: Option<String>,
}

/// `[registry[:port]/]repository[:tag][@sha256:<64 hex>]`, as Docker and ECS take it.
fn check_image_uri(uri: &str) -> Result<ImageRef, String> {
    let bad = || {
        "an image reference such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/switchboard:0.1.0 or ghcr.io/org/switchboard:0.1.0".to_string()
    };
    if uri.is_empty() || uri.len() > 1024 || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (rest, digest) = match uri.split_once('@') {
        Some((r, d)) => {
            let hex = d.strip_prefix("sha256:").ok_or_else(bad)?;
            if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()) {
                return Err("a digest is sha256: and 64 lower-case hexadecimal digits".into());
            }
            (r, Some(d.to_string()))
        }
        None => (uri, None),
    };
    // A tag is after the last ':' that follows the last '/' (a registry port comes before a '/').
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(rest[last_slash + i + 1..].to_string())),
        None => (rest, None),
    };
    if let Some(t) = &tag
        && (t.is_empty()
            || t.len() > 128
            || t.starts_with(['.', '-'])
            || !t.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)))
    {
        return Err("a tag is up to 128 letters, digits, _ . - (not starting with . or -)".into());
    }
    let mut components = name.split('/').collect::<Vec<_>>();
    if components.len() > 1 && components.first().is_some_and(|c| c.contains(['.', ':']) || *c == "localhost") {
        let registry = components.remove(0);
        if !registry.chars().all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c)) {
            return Err(bad());
        }
    }
    let component_ok = |c: &&str| {
        !c.is_empty()
            && c.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-".contains(ch))
            && c.starts_with(|ch: char| ch.is_ascii_alphanumeric())
            && c.ends_with(|ch: char| ch.is_ascii_alphanumeric())
    };
    if components.is_empty() || !components.iter().all(component_ok) {
        return Err(format!("{} (repository names are lower-case)", bad()));
    }
    Ok(ImageRef { tag, digest })
}

fn is_instance_class(s: &str, family: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    match parts.split_first() {
        Some((first, rest)) => {
            parts.len() == 3
                && *first == family
                && rest.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        }
        None => false,
    }
}

fn is_aws_id(s: &str, kind: &str) -> bool {
    s.strip_prefix(kind).and_then(|r| r.strip_prefix('-')).is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

fn is_hostname(s: &str) -> bool {
    s.len() <= 253
        && s.contains('.')
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// The parts of an ARN of `service`: `arn:<partition>:<service>:<region>:<account>:<resource>`.
pub struct Arn<'a> {
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

pub fn parse_arn<'a>(arn: &'a str, service: &str) -> Option<Arn<'a>> {
    let mut it = arn.splitn(6, ':');
    let (a, partition, svc, region, account, resource) =
        (it.next()?, it.next()?, it.next()?, it.next()?, it.next()?, it.next()?);
    let ok = a == "arn"
        && partition.starts_with("aws")
        && svc == service
        && check_region(region).is_ok()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && resource.len() > 1
        && !resource.chars().any(char::is_whitespace);
    ok.then_some(Arn { region, account, resource })
}

/// `a.b.c.d/n` → (address, prefix), with the host bits zero.
pub fn parse_cidr(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("{s:?} is not an IPv4 CIDR block such as 10.0.0.0/16");
    let (ip, prefix) = s.split_once('/').ok_or_else(bad)?;
    let prefix: u32 = prefix.parse().map_err(|_| bad())?;
    let ip: std::net::Ipv4Addr = ip.parse().map_err(|_| bad())?;
    let ip = u32::from(ip);
    if prefix > 32 {
        return Err(bad());
    }
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    if ip & !mask != 0 {
        return Err(format!(
            "{s} has host bits set: the block starts at {}/{prefix}",
            std::net::Ipv4Addr::from(ip & mask)
        ));
    }
    Ok((ip, prefix))
}

/// The four subnets of a new VPC: its quarters (public 1, public 2, private 1, private 2).
pub fn subnet_quarters(vpc_cidr: &str) -> Result<[String; 4], String> {
    let (base, prefix) = parse_cidr(vpc_cidr)?;
    if prefix > 26 {
        return Err("too small to split".into());
    }
    let size = 1u32 << (32 - prefix - 2);
    Ok(std::array::from_fn(|i| format!("{}/{}", std::net::Ipv4Addr::from(base + size * i as u32), prefix + 2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> DeployRequest {
        DeployRequest {
            region: "us-east-1".into(),
            image_uri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/switchboard:0.1.0".into(),
            ..DeployRequest::default()
        }
    }

    fn errors(f: &DeployRequest) -> Vec<String> {
        f.validate().errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn defaults_are_valid_and_warn_about_http() {
        let v = form().validate();
        assert!(v.is_ok(), "{v:?}");
        assert_eq!(v.warnings.iter().map(|w| w.field.as_str()).collect::<Vec<_>>(), ["certificate_arn"]);
        assert_eq!(errors(&DeployRequest::default()), ["region"]);
    }

    #[test]
    fn without_an_image_the_deploy_builds_one_for_a_repository_that_must_parse() {
        let build = DeployRequest { image_uri: " ".into(), ..form() };
        assert!(build.builds_image());
        assert!(build.validate().is_ok());
        let to = |r: &str| DeployRequest { image_repository: Some(r.into()), ..build.clone() };
        assert!(to("127.0.0.1:5000/switchboard").validate().is_ok());
        assert!(to("").validate().is_ok(), "empty is the default repository");
        assert_eq!(errors(&to("switchboard")), ["image_repository"], "no registry host");
        assert_eq!(errors(&to("ghcr.io/Acme/switchboard")), ["image_repository"]);
        let both = DeployRequest { image_repository: Some("ghcr.io/acme/switchboard".into()), ..form() };
        assert!(!both.builds_image());
        assert_eq!(errors(&both), ["image_repository"], "a repository beside a given image says which one applies");
    }

    #[test]
    fn panel_json_parses_and_unknown_fields_are_refused() {
        let f: DeployRequest = serde_json::from_value(serde_json::json!({
            "region": "eu-west-1", "profile": "work", "name_prefix": "litellm-harness",
            "image_uri": "ghcr.io/acme/switchboard:0.1.0", "cpu_architecture": "ARM64",
            "cpu": 1024, "memory": 2048, "desired_count": 2, "enable_rds": true, "enable_redis": false,
            "network": {"mode": "existing", "vpc_id": "vpc-0123456789abcdef0",
                        "public_subnet_ids": ["subnet-01234567", "subnet-89abcdef"],
                        "private_subnet_ids": ["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"]},
            "certificate_arn": null, "models_config": null
        }))
        .unwrap();
        assert!(f.validate().is_ok(), "{:?}", f.validate());
        assert_eq!(f.cpu_architecture, CpuArchitecture::Arm64);
        let p = f.parameters();
        assert_eq!(p["PublicSubnetIds"], "subnet-01234567,subnet-89abcdef");
        assert_eq!(p["CpuArchitecture"], "ARM64");
        let new: DeployRequest = serde_json::from_value(serde_json::json!({"network": {"mode": "new"}})).unwrap();
        assert_eq!(new.network, Network::New { vpc_cidr: "10.0.0.0/16".into() });
        assert!(serde_json::from_value::<DeployRequest>(serde_json::json!({"regoin": "x"})).is_err());
    }

    #[test]
    fn fargate_sizes() {
        for (cpu, memory, ok) in [
            (256, 512, true),
            (256, 2048, true),
            (256, 3072, false),
            (512, 1024, true),
            (512, 512, false),
            (1024, 8192, true),
            (2048, 16384, true),
            (4096, 30720, true),
            (4096, 4096, false),
            (300, 1024, false),
            (8192, 16384, false),
        ] {
            let f = DeployRequest { cpu, memory, ..form() };
            assert_eq!(f.validate().is_ok(), ok, "{cpu}/{memory}: {:?}", f.validate());
        }
        assert_eq!(fargate_memory_options(512), [1024, 2048, 3072, 4096]);
        let f = DeployRequest { desired_count: 11, ..form() };
        assert_eq!(errors(&f), ["desired_count"]);
        let f = DeployRequest { desired_count: 0, ..form() };
        assert!(f.validate().is_ok());
    }

    #[test]
    fn names_and_images() {
        for (name, ok) in [
            ("switchboard", true),
            ("litellm-harness", true),
            ("ab", false),
            ("Switchboard", false),
            ("9lives", false),
            ("trailing-", false),
            ("a--b", false),
            ("a_b_c", false),
            ("abcdefghijabcdefghijabcdefghijab", true),
            ("abcdefghijabcdefghijabcdefghijabc", false),
        ] {
            assert_eq!(check_name_prefix(name).is_ok(), ok, "{name}");
        }
        for (image, ok) in [
            ("123456789012.dkr.ecr.us-east-1.amazonaws.com/switchboard:0.1.0", true),
            ("ghcr.io/acme/switchboard:v1", true),
            ("localhost:5000/switchboard:dev", true),
            ("switchboard", true),
            (&format!("repo/switchboard@sha256:{}", "a".repeat(64)), true),
            ("repo/switchboard@sha256:abc", false),
            ("Repo/Switchboard:1", false),
            ("repo/switchboard:", false),
            ("repo /switchboard:1", false),
            ("", false),
        ] {
            assert_eq!(check_image_uri(image).is_ok(), ok, "{image}");
        }
        let latest = DeployRequest { image_uri: "ghcr.io/acme/switchboard:latest".into(), ..form() };
        assert!(latest.validate().warnings.iter().any(|w| w.field == "image_uri"));
        let untagged = DeployRequest { image_uri: "ghcr.io/acme/switchboard".into(), ..form() };
        assert!(untagged.validate().warnings.iter().any(|w| w.field == "image_uri"));
        for (region, ok) in [
            ("us-east-1", true),
            ("ap-southeast-2", true),
            ("us-gov-west-1", true),
            ("useast1", false),
            ("US-EAST-1", false),
            ("us-east-", false),
        ] {
            assert_eq!(check_region(region).is_ok(), ok, "{region}");
        }
    }

    #[test]
    fn networks() {
        assert_eq!(parse_cidr("10.0.0.0/16"), Ok((0x0a00_0000, 16)));
        assert!(parse_cidr("10.0.0.1/16").unwrap_err().contains("10.0.0.0/16"));
        assert!(parse_cidr("10.0.0.0").is_err());
        assert!(parse_cidr("300.0.0.0/16").is_err());
        assert_eq!(
            subnet_quarters("10.0.0.0/16").unwrap(),
            ["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18", "10.0.192.0/18"]
        );
        assert_eq!(
            subnet_quarters("192.168.1.0/24").unwrap(),
            ["192.168.1.0/26", "192.168.1.64/26", "192.168.1.128/26", "192.168.1.192/26"]
        );
        let f = DeployRequest { network: Network::New { vpc_cidr: "10.0.0.0/12".into() }, ..form() };
        assert_eq!(errors(&f), ["network.vpc_cidr"]);
        let f = DeployRequest { network: Network::New { vpc_cidr: "172.16.0.0/20".into() }, ..form() };
        assert_eq!(f.parameters()["PrivateSubnet2Cidr"], "172.16.12.0/22");

        let existing = |vpc: &str, public: &[&str], private: &[&str]| DeployRequest {
            network: Network::Existing {
                vpc_id: vpc.into(),
                public_subnet_ids: public.iter().map(|s| s.to_string()).collect(),
                private_subnet_ids: private.iter().map(|s| s.to_string()).collect(),
            },
            ..form()
        };
        let (a, b, c, d) =
            ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1", "subnet-01234567", "subnet-89abcdef");
        assert!(existing("vpc-01234567", &[a, b], &[c, d]).validate().is_ok());
        assert_eq!(errors(&existing("vpc-xyz", &[a, b], &[c, d])), ["network.vpc_id"]);
        assert_eq!(errors(&existing("vpc-01234567", &[a], &[c, d])), ["network.public_subnet_ids"]);
        assert_eq!(errors(&existing("vpc-01234567", &[a, a], &[c, d])), ["network.public_subnet_ids"]);
        assert_eq!(errors(&existing("vpc-01234567", &[a, b], &[c, "sg-01234567"])), ["network.private_subnet_ids"]);
        let shared = existing("vpc-01234567", &[a, b], &[a, d]).validate();
        assert!(shared.is_ok() && shared.warnings.iter().any(|w| w.field == "network.private_subnet_ids"));
    }

    #[test]
    fn certificates_secrets_and_configs() {
        let cert = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012";
        let f =
            DeployRequest { certificate_arn: Some(cert.into()), domain_name: Some("llm.example.com".into()), ..form() };
        let v = f.validate();
        assert!(v.is_ok() && v.warnings.is_empty(), "{v:?}");
        assert_eq!(f.parameters()["DomainName"], "llm.example.com");
        let f = DeployRequest { certificate_arn: Some(cert.into()), ..form() };
        assert!(f.validate().warnings.iter().any(|w| w.field == "domain_name"));
        let f = DeployRequest { region: "eu-west-1".into(), certificate_arn: Some(cert.into()), ..form() };
        assert_eq!(errors(&f), ["certificate_arn"]);
        let f =
            DeployRequest { certificate_arn: Some("arn:aws:iam::123456789012:server-certificate/x".into()), ..form() };
        assert_eq!(errors(&f), ["certificate_arn"]);
        let f = DeployRequest { domain_name: Some("llm.example.com".into()), ..form() };
        assert_eq!(errors(&f), ["domain_name"]);

        let f = DeployRequest {
            master_key_secret_arn: Some("arn:aws:secretsmanager:us-east-1:123456789012:secret:mk-AbCdEf".into()),
            ..form()
        };
        assert!(f.validate().is_ok());
        let f = DeployRequest { master_key_secret_arn: Some("sk-1234".into()), ..form() };
        assert_eq!(errors(&f), ["master_key_secret_arn"]);

        let f = DeployRequest { models_config: Some("model_list: [".into()), ..form() };
        assert_eq!(errors(&f), ["models_config"]);
        let f = DeployRequest { models_config: Some("- a\n- b\n".into()), ..form() };
        assert_eq!(errors(&f), ["models_config"]);
        let f = DeployRequest { models_config: Some("model_list: 3\n".into()), ..form() };
        assert_eq!(errors(&f), ["models_config"]);
        let big = format!("model_list: []\n# {}\n", "x".repeat(3100));
        let f = DeployRequest { models_config: Some(big), ..form() };
        assert!(f.validate().errors[0].message.contains("4096"));
        let ok = "model_list:\n  - model_name: m\n    litellm_params: {model: openai/m}\n";
        let f = DeployRequest { models_config: Some(ok.into()), ..form() };
        assert!(f.validate().is_ok());
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD.decode(&f.parameters()["ModelsConfig"]).unwrap();
        assert_eq!(decoded, ok.as_bytes());
        assert!(encoded_len(ok) == f.parameters()["ModelsConfig"].len());
    }

    #[test]
    fn storage_warnings() {
        let f = DeployRequest { enable_rds: false, desired_count: 2, ..form() };
        let fields: Vec<String> = f.validate().warnings.into_iter().map(|w| w.field).collect();
        assert!(fields.contains(&"enable_rds".to_string()) && fields.contains(&"desired_count".to_string()));
        let shared = |redis| {
            let f = DeployRequest { desired_count: 2, enable_redis: redis, ..form() };
            f.validate().warnings.into_iter().any(|w| w.field == "enable_redis")
        };
        assert!(shared(false), "two tasks without Redis: their rate limits are per task");
        assert!(!shared(true));
        let f = DeployRequest { enable_redis: true, cache_node_type: "t4g.micro".into(), ..form() };
        assert_eq!(errors(&f), ["cache_node_type"]);
        let f = DeployRequest { db_instance_class: "db.t4g".into(), ..form() };
        assert_eq!(errors(&f), ["db_instance_class"]);
        let f = DeployRequest { enable_rds: false, db_instance_class: "whatever".into(), ..form() };
        assert!(f.validate().is_ok(), "an unused class is not checked");
        let f = DeployRequest { log_retention_days: 2, ..form() };
        assert_eq!(errors(&f), ["log_retention_days"]);
    }
}
