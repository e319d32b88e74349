//! The rendered template, checked for what moto does not model (Fargate network mode, secrets,
//! health check path, ports, roles) and for consistency in every combination of the switches.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;

use serde_json::{Value, json};
use switchboard_deploy::request::{DeployRequest, Network};
use switchboard_deploy::{Template, plan};

const CERT: &str = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012";
const OWN_SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:team/master-key-AbCdEf";

fn form() -> DeployRequest {
    DeployRequest {
        region: "us-east-1".into(),
        image_uri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/switchboard:0.1.0".into(),
        ..DeployRequest::default()
    }
}

fn existing_vpc() -> Network {
    Network::Existing {
        vpc_id: "vpc-0123456789abcdef0".into(),
        public_subnet_ids: vec!["subnet-0123456789abcdef0".into(), "subnet-0123456789abcdef1".into()],
        private_subnet_ids: vec!["subnet-0123456789abcdef2".into(), "subnet-0123456789abcdef3".into()],
    }
}

/// Every combination of the switches: RDS × Redis × HTTPS × existing VPC.
fn combinations() -> Vec<(String, DeployRequest)> {
    let mut out = Vec::new();
    for rds in [true, false] {
        for redis in [false, true] {
            for https in [false, true] {
                for existing in [false, true] {
                    let mut f = form();
                    f.enable_rds = rds;
                    f.enable_redis = redis;
                    if https {
                        f.certificate_arn = Some(CERT.into());
                        f.domain_name = Some("llm.example.com".into());
                    }
                    if existing {
                        f.network = existing_vpc();
                    }
                    out.push((format!("rds={rds} redis={redis} https={https} existing_vpc={existing}"), f));
                }
            }
        }
    }
    out
}

fn resolved(f: &DeployRequest) -> Value {
    let v = f.validate();
    assert!(v.is_ok(), "{v:?}");
    Template::get().unwrap().resolve(&f.parameters()).unwrap()
}

fn container(t: &Value) -> &Value {
    &t["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|x| x["Name"].as_str().unwrap()).collect()
}

#[test]
fn fargate_task_definition() {
    let t = resolved(&form());
    let td = &t["Resources"]["TaskDefinition"]["Properties"];
    assert_eq!(td["NetworkMode"], "awsvpc");
    assert_eq!(td["RequiresCompatibilities"], json!(["FARGATE"]));
    assert_eq!(td["Cpu"], "512");
    assert_eq!(td["Memory"], "1024");
    assert_eq!(td["RuntimePlatform"], json!({"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"}));
    assert_eq!(td["ExecutionRoleArn"], json!({"Fn::GetAtt": ["TaskExecutionRole", "Arn"]}));
    assert_eq!(td["TaskRoleArn"], json!({"Fn::GetAtt": ["TaskRole", "Arn"]}));
    let c = container(&t);
    assert_eq!(c["Name"], "switchboard");
    assert_eq!(c["Image"], "123456789012.dkr.ecr.us-east-1.amazonaws.com/switchboard:0.1.0");
    assert_eq!(c["PortMappings"], json!([{"ContainerPort": 4000, "Protocol": "tcp"}]));
    assert_eq!(c["LogConfiguration"]["LogDriver"], "awslogs");
    assert_eq!(c["LogConfiguration"]["Options"]["awslogs-group"], json!({"Ref": "LogGroup"}));
}

#[test]
fn secrets_reach_the_container_as_secrets_not_environment() {
    let t = resolved(&form());
    let c = container(&t);
    assert_eq!(
        c["Secrets"],
        json!([
            {"Name": "LITELLM_MASTER_KEY", "ValueFrom": {"Ref": "MasterKeySecret"}},
            {"Name": "DATABASE_URL", "ValueFrom": {"Ref": "DatabaseUrlSecret"}},
        ])
    );
    assert_eq!(names(&c["Environment"]), ["SWITCHBOARD_CONFIG_B64"]);
    // The generated master key is sk- + a generated random part; the URL is a full postgres:// URL.
    let r = &t["Resources"];
    assert_eq!(r["MasterKeyRandom"]["Properties"]["GenerateSecretString"]["ExcludePunctuation"], true);
    assert_eq!(
        r["MasterKeySecret"]["Properties"]["SecretString"],
        json!({"Fn::Sub": "sk-{{resolve:secretsmanager:${MasterKeyRandom}:SecretString}}"})
    );
    let url = r["DatabaseUrlSecret"]["Properties"]["SecretString"]["Fn::Sub"].as_str().unwrap();
    assert!(url.starts_with("postgres://switchboard:{{resolve:secretsmanager:${DatabasePasswordSecret}:SecretString:password}}@${Database.Endpoint.Address}:${Database.Endpoint.Port}/switchboard"), "{url}");
    assert_eq!(
        r["Database"]["Properties"]["MasterUserPassword"],
        json!({"Fn::Sub": "{{resolve:secretsmanager:${DatabasePasswordSecret}:SecretString:password}}"})
    );
    assert_eq!(r["Database"]["Properties"]["PubliclyAccessible"], false);
    assert_eq!(r["Database"]["Properties"]["DBName"], "switchboard");
    // The execution role (which ECS uses to fetch secrets) may read exactly these two.
    let statement = &r["TaskExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0];
    assert_eq!(statement["Action"], "secretsmanager:GetSecretValue");
    assert_eq!(statement["Resource"], json!([{"Ref": "MasterKeySecret"}, {"Ref": "DatabaseUrlSecret"}]));
}

#[test]
fn default_config_is_the_seed_aliases_in_the_stack_region() {
    let t = resolved(&form());
    let env = &container(&t)["Environment"][0]["Value"];
    let config = env["Fn::Base64"]["Fn::Sub"].as_str().expect("the default config is built in the template");
    let parsed: serde_yaml::Value = serde_yaml::from_str(config).unwrap();
    let models = parsed["model_list"].as_sequence().unwrap();
    assert_eq!(models.len(), 2);
    assert_eq!(models[0]["model_name"].as_str(), Some("claude-sonnet"));
    assert_eq!(
        models[0]["litellm_params"]["model"].as_str(),
        Some("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    );
    assert_eq!(models[1]["model_name"].as_str(), Some("claude-haiku"));
    assert_eq!(models[1]["litellm_params"]["aws_region_name"].as_str(), Some("${AWS::Region}"));

    let mut own = form();
    own.models_config = Some("model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/x\n".into());
    let t = resolved(&own);
    let b64 = container(&t)["Environment"][0]["Value"].as_str().expect("the form's config is passed as is");
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    assert_eq!(String::from_utf8(text).unwrap(), own.models_config.unwrap());
}

#[test]
fn health_check_ports_and_listeners() {
    let t = resolved(&form());
    let r = &t["Resources"];
    let tg = &r["TargetGroup"]["Properties"];
    assert_eq!(tg["HealthCheckPath"], "/health/liveliness");
    assert_eq!(tg["Port"], 4000);
    assert_eq!(tg["Protocol"], "HTTP");
    assert_eq!(tg["TargetType"], "ip", "Fargate tasks register by IP");
    assert_eq!(tg["Matcher"], json!({"HttpCode": "200"}));
    let lb = &r["LoadBalancer"]["Properties"];
    assert_eq!(lb["Scheme"], "internet-facing");
    assert_eq!(lb["Subnets"], json!([{"Ref": "PublicSubnet1"}, {"Ref": "PublicSubnet2"}]));
    let http = &r["HttpListener"]["Properties"];
    assert_eq!(http["Port"], 80);
    assert_eq!(http["DefaultActions"], json!([{"Type": "forward", "TargetGroupArn": {"Ref": "TargetGroup"}}]));
    assert!(r.get("HttpsListener").is_none());
    assert!(r.get("LoadBalancerHttpsIngress").is_none());
    let svc = &r["Service"]["Properties"];
    assert_eq!(svc["LaunchType"], "FARGATE");
    assert_eq!(
        svc["LoadBalancers"],
        json!([{"ContainerName": "switchboard", "ContainerPort": 4000, "TargetGroupArn": {"Ref": "TargetGroup"}}])
    );
    assert_eq!(svc["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"], "DISABLED");
    assert_eq!(
        svc["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"],
        json!([{"Ref": "PrivateSubnet1"}, {"Ref": "PrivateSubnet2"}])
    );
    assert_eq!(svc["DeploymentConfiguration"]["DeploymentCircuitBreaker"], json!({"Enable": true, "Rollback": true}));
    assert_eq!(svc["DesiredCount"], "1");
    assert_eq!(r["Service"]["DependsOn"], json!(["ForwardingListenerReady"]));
    assert_eq!(r["ForwardingListenerReady"]["Metadata"]["Listener"], json!({"Ref": "HttpListener"}));
    // Only the ALB reaches the tasks, on 4000.
    let ingress = &r["ServiceSecurityGroup"]["Properties"]["SecurityGroupIngress"][0];
    assert_eq!((ingress["FromPort"].clone(), ingress["ToPort"].clone()), (json!(4000), json!(4000)));
    assert_eq!(ingress["SourceSecurityGroupId"], json!({"Fn::GetAtt": ["LoadBalancerSecurityGroup", "GroupId"]}));
    assert_eq!(t["Outputs"]["ServiceUrl"]["Value"], json!({"Fn::Sub": "http://${LoadBalancer.DNSName}"}));
    assert_eq!(t["Outputs"]["AlbDnsName"]["Value"], json!({"Fn::GetAtt": ["LoadBalancer", "DNSName"]}));
    assert_eq!(t["Outputs"]["MasterKeySecretArn"]["Value"], json!({"Ref": "MasterKeySecret"}));
}

#[test]
fn https_listener_and_redirect_with_a_certificate() {
    let mut f = form();
    f.certificate_arn = Some(CERT.into());
    f.domain_name = Some("llm.example.com".into());
    let t = resolved(&f);
    let r = &t["Resources"];
    assert_eq!(
        r["HttpListener"]["Properties"]["DefaultActions"],
        json!([{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])
    );
    let https = &r["HttpsListener"]["Properties"];
    assert_eq!(https["Port"], 443);
    assert_eq!(https["Protocol"], "HTTPS");
    assert_eq!(https["Certificates"], json!([{"CertificateArn": CERT}]));
    assert_eq!(https["DefaultActions"], json!([{"Type": "forward", "TargetGroupArn": {"Ref": "TargetGroup"}}]));
    assert_eq!(r["LoadBalancerHttpsIngress"]["Properties"]["FromPort"], 443);
    // The service waits for the listener that forwards to its target group.
    assert_eq!(r["Service"]["DependsOn"], json!(["ForwardingListenerReady"]));
    assert_eq!(r["ForwardingListenerReady"]["Metadata"]["Listener"], json!({"Ref": "HttpsListener"}));
    assert_eq!(t["Outputs"]["ServiceUrl"]["Value"], json!({"Fn::Sub": "https://${DomainName}"}));
    assert_eq!(f.parameters()["DomainName"], "llm.example.com");
}

#[test]
fn task_role_may_call_bedrock_converse_and_stream() {
    let t = resolved(&form());
    let statement = &t["Resources"]["TaskRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0];
    let actions: Vec<&str> = match &statement["Action"] {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        other => panic!("{other}"),
    };
    // Converse and ConverseStream are authorized as InvokeModel / InvokeModelWithResponseStream.
    for needed in ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"] {
        assert!(actions.iter().any(|a| glob(a, needed)), "{needed} not allowed by {actions:?}");
    }
    assert!(!actions.iter().any(|a| glob(a, "bedrock:CreateGuardrail")), "{actions:?}");
    let resources = statement["Resource"].to_string();
    assert!(resources.contains("foundation-model/*") && resources.contains("inference-profile/*"), "{resources}");
    assert!(
        t["Resources"]["TaskRole"]["Properties"]["AssumeRolePolicyDocument"]
            .to_string()
            .contains("ecs-tasks.amazonaws.com")
    );
}

fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => text.starts_with(head) && text[head.len()..].ends_with(tail),
    }
}

#[test]
fn existing_vpc_without_rds_with_redis_and_own_secret() {
    let mut f = form();
    f.network = existing_vpc();
    f.enable_rds = false;
    f.enable_redis = true;
    f.master_key_secret_arn = Some(OWN_SECRET.into());
    let t = resolved(&f);
    let r = t["Resources"].as_object().unwrap();
    for gone in
        ["Vpc", "PublicSubnet1", "NatGateway", "Database", "DatabaseUrlSecret", "MasterKeyRandom", "MasterKeySecret"]
    {
        assert!(!r.contains_key(gone), "{gone} should not be created");
    }
    assert!(r.contains_key("Redis") && r.contains_key("RedisSecurityGroup"));
    assert_eq!(
        r["LoadBalancer"]["Properties"]["Subnets"],
        json!(["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"])
    );
    assert_eq!(
        r["Service"]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"],
        json!(["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"])
    );
    assert_eq!(r["TargetGroup"]["Properties"]["VpcId"], "vpc-0123456789abcdef0");
    let c = container(&t);
    assert_eq!(c["Secrets"], json!([{"Name": "LITELLM_MASTER_KEY", "ValueFrom": OWN_SECRET}]));
    assert_eq!(names(&c["Environment"]), ["SWITCHBOARD_CONFIG_B64", "REDIS_HOST", "REDIS_PORT", "REDIS_URL"]);
    assert_eq!(t["Outputs"]["MasterKeySecretArn"]["Value"], OWN_SECRET);
    assert!(t["Outputs"].get("DatabaseEndpoint").is_none());
    assert!(t["Outputs"].get("RedisEndpoint").is_some());
}

/// Every Ref, GetAtt, ${...} and DependsOn of the resolved template names a resource that exists in that
/// combination, a parameter, or a pseudo parameter: no combination refers to something its
/// conditions removed.
#[test]
fn every_combination_refers_only_to_what_it_creates() {
    let template = Template::get().unwrap();
    let params: BTreeSet<String> = template.parameter_defaults().into_keys().collect();
    let mut counts = BTreeSet::new();
    for (name, f) in combinations() {
        let t = resolved(&f);
        let resources: BTreeSet<String> = t["Resources"].as_object().unwrap().keys().cloned().collect();
        counts.insert(resources.len());
        let mut refs = Vec::new();
        collect_refs(&t["Resources"], &mut refs);
        collect_refs(&t["Outputs"], &mut refs);
        for r in t["Resources"].as_object().unwrap().values() {
            match &r["DependsOn"] {
                Value::String(d) => refs.push(d.clone()),
                Value::Array(ds) => refs.extend(ds.iter().filter_map(Value::as_str).map(str::to_string)),
                _ => {}
            }
        }
        for r in refs {
            let ok = resources.contains(&r) || params.contains(&r) || r.starts_with("AWS::");
            assert!(ok, "{name}: refers to {r}, which this combination does not create");
        }
        let listed: BTreeSet<String> =
            template.active_resources(&f.parameters()).unwrap().into_iter().map(|r| r.logical_id).collect();
        assert_eq!(listed, resources, "{name}");
        let p = plan(&f);
        assert!(p.ok, "{name}: {:?}", p.errors);
        assert_eq!(p.resources.len(), resources.len());
    }
    assert!(counts.len() > 4, "the switches change what is created: {counts:?}");
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("Ref") {
                out.push(r.clone());
            }
            if let Some(Value::Array(a)) = o.get("Fn::GetAtt") {
                out.extend(a.first().and_then(Value::as_str).map(str::to_string));
            }
            if let Some(sub) = o.get("Fn::Sub") {
                let text = match sub {
                    Value::String(s) => s.as_str(),
                    Value::Array(a) => a.first().and_then(Value::as_str).unwrap_or_default(),
                    _ => "",
                };
                let mut rest = text;
                while let Some(i) = rest.find("${") {
                    let end = rest[i..].find('}').map_or(rest.len(), |e| i + e);
                    let name = &rest[i + 2..end];
                    if !name.starts_with('!') {
                        out.push(name.split('.').next().unwrap_or_default().to_string());
                    }
                    rest = &rest[end..];
                }
            }
            o.values().for_each(|x| collect_refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

/// The form's defaults are the template's defaults, so the template deploys the same thing
/// from the console or the AWS CLI.
#[test]
fn form_defaults_match_template_defaults() {
    let defaults = Template::get().unwrap().parameter_defaults();
    let rendered = form().parameters();
    for (name, value) in &rendered {
        match defaults.get(name) {
            None => panic!("the form sets {name}, which the template does not have"),
            Some(Some(d)) if name != "ImageUri" => assert_eq!(d, value, "{name}"),
            _ => {}
        }
    }
    let missing: Vec<_> =
        defaults.keys().filter(|k| !rendered.contains_key(*k) && k.as_str() != "DbEngineVersion").collect();
    assert!(missing.is_empty(), "the form never sets {missing:?}");
}

#[test]
fn default_deploy_creates_the_seed_architecture() {
    let resources: Vec<String> = plan(&form()).resources.into_iter().map(|r| r.resource_type).collect();
    for t in [
        "AWS::EC2::VPC",
        "AWS::EC2::NatGateway",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::ECS::Cluster",
        "AWS::ECS::Service",
        "AWS::RDS::DBInstance",
        "AWS::SecretsManager::Secret",
        "AWS::Logs::LogGroup",
    ] {
        assert!(resources.iter().any(|r| r == t), "{t} missing from {resources:?}");
    }
    assert!(!resources.iter().any(|r| r == "AWS::ElastiCache::CacheCluster"));
}
