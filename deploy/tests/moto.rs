//! The deploy flow against moto (CloudFormation, Secrets Manager, STS) on 127.0.0.1, through the
//! real SDK clients. moto cannot model Secrets Manager secrets, RDS or ElastiCache inside a stack,
//! nor an HTTPS listener's certificate, so these tests deploy with RDS and Redis off, no
//! certificate, and a master key secret created beforehand (the form's "existing secret" choice).
//! tests/deploy/moto_server.py gives moto CloudFormation's asynchronous events; see its docstring.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;

#[path = "support/registry.rs"]
mod registry;
use switchboard_deploy::progress::{Operation, Outcome, Progress};
use switchboard_deploy::request::{DeployRequest, Network};
use switchboard_deploy::{AwsTarget, DeployError, Deployer, Done, FlowOptions, StaticCredentials, plan};

const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/switchboard:0.1.0";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// moto_server (wrapped by tests/deploy/moto_server.py) on a free port, stopped on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    fn start() -> Moto {
        Moto::start_with_event_delay("0.01")
    }

    /// `delay`: seconds between two stack events (how long a stack operation takes).
    fn start_with_event_delay(delay: &str) -> Moto {
        let venv = std::env::var_os("SWITCHBOARD_VENV").map(PathBuf::from).unwrap_or_else(|| repo_root().join(".venv"));
        let moto_server = venv.join("bin/moto_server");
        assert!(
            moto_server.is_file(),
            "{} not found: these tests need moto[server] from PyPI (tests/deploy/requirements.txt): \
             run `make test` or `.venv/bin/pip install -r tests/deploy/requirements.txt`",
            moto_server.display()
        );
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(venv.join("bin/python"))
            .arg(repo_root().join("tests/deploy/moto_server.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("SWITCHBOARD_MOTO_EVENT_DELAY", delay)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not listen on {port} within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, url: format!("http://127.0.0.1:{port}") }
    }

    fn target(&self) -> AwsTarget {
        AwsTarget {
            region: "us-east-1".into(),
            profile: None,
            endpoint_url: Some(self.url.clone()),
            credentials: Some(StaticCredentials {
                access_key_id: "testing".into(),
                secret_access_key: "testing".into(),
            }),
        }
    }

    async fn deployer(&self) -> Deployer {
        Deployer::connect(&self.target()).await.with_options(FlowOptions {
            poll_interval: Duration::from_millis(100),
            operation_timeout: Duration::from_secs(120),
            change_set_timeout: Duration::from_secs(30),
            health_attempts: 1,
            health_interval: Duration::ZERO,
        })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn master_key_secret(d: &Deployer, name: &str, key: &str) -> String {
    let out = d.clients().secrets.create_secret().name(name).secret_string(key).send().await.unwrap();
    out.arn().unwrap().to_string()
}

/// A VPC with two public and two private subnets, made by a plain stack (the "existing VPC"
/// choice of the form: moto cannot delete the NAT gateway of a new one).
async fn existing_network(d: &Deployer) -> Network {
    let network = r#"
Resources:
  V: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.9.0.0/16}}
  A: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref V, CidrBlock: 10.9.0.0/24, AvailabilityZone: us-east-1a}}
  B: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref V, CidrBlock: 10.9.1.0/24, AvailabilityZone: us-east-1b}}
  C: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref V, CidrBlock: 10.9.2.0/24, AvailabilityZone: us-east-1a}}
  D: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref V, CidrBlock: 10.9.3.0/24, AvailabilityZone: us-east-1b}}
Outputs:
  Vpc: {Value: !Ref V}
  Public: {Value: !Join [",", [!Ref A, !Ref B]]}
  Private: {Value: !Join [",", [!Ref C, !Ref D]]}
"#;
    let cfn = &d.clients().cloudformation;
    cfn.create_stack().stack_name("network").template_body(network).send().await.unwrap();
    let out = cfn.describe_stacks().stack_name("network").send().await.unwrap();
    let outputs: std::collections::BTreeMap<String, String> = out.stacks()[0]
        .outputs()
        .iter()
        .map(|o| (o.output_key().unwrap().to_string(), o.output_value().unwrap().to_string()))
        .collect();
    let split = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
    Network::Existing {
        vpc_id: outputs["Vpc"].clone(),
        public_subnet_ids: split(&outputs["Public"]),
        private_subnet_ids: split(&outputs["Private"]),
    }
}

fn form(prefix: &str, secret_arn: &str) -> DeployRequest {
    DeployRequest {
        region: "us-east-1".into(),
        name_prefix: prefix.into(),
        image_uri: IMAGE.into(),
        enable_rds: false,
        master_key_secret_arn: Some(secret_arn.into()),
        ..DeployRequest::default()
    }
}

async fn collect(stream: switchboard_deploy::ProgressStream) -> (Vec<Progress>, Done) {
    let items: Vec<Progress> = tokio::time::timeout(Duration::from_secs(180), stream.collect())
        .await
        .expect("the operation finished within 3 minutes");
    let Some(Progress::Done(done)) = items.last().cloned() else { panic!("the stream must end with done: {items:?}") };
    assert_eq!(items.iter().filter(|i| matches!(i, Progress::Done(_))).count(), 1);
    (items, done)
}

fn events(items: &[Progress]) -> Vec<(String, String, f64)> {
    items
        .iter()
        .filter_map(|i| match i {
            Progress::Event { event, progress } => Some((event.logical_id.clone(), event.status.clone(), *progress)),
            _ => None,
        })
        .collect()
}

fn assert_monotonic(ev: &[(String, String, f64)]) {
    for w in ev.windows(2) {
        assert!(w[1].2 >= w[0].2, "progress went back: {w:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_update_status_connection_destroy() {
    let moto = Moto::start();
    let d = moto.deployer().await;
    let who = d.whoami().await.unwrap();
    assert_eq!(who.account, "123456789012");

    let arn = master_key_secret(&d, "gw-moto/master-key", "sk-moto-master").await;
    let f = DeployRequest { network: existing_network(&d).await, ..form("gw-moto", &arn) };
    let expected = plan(&f);
    assert!(expected.ok, "moto's ids pass the form's checks: {:?}", expected.errors);
    assert!(!expected.resources.iter().any(|r| r.resource_type == "AWS::EC2::VPC"));
    assert!(!d.status("gw-moto").await.unwrap().exists);

    // Create.
    let (items, done) = collect(d.up(&f, None).unwrap()).await;
    let Progress::Plan { operation, total, changes, .. } = &items[0] else { panic!("{:?}", items[0]) };
    assert_eq!(*operation, Operation::Create);
    assert_eq!(*total, expected.resources.len());
    assert!(!changes.is_empty());
    let ev = events(&items);
    assert_monotonic(&ev);
    for r in &expected.resources {
        assert!(
            ev.iter().any(|(id, s, _)| id == &r.logical_id && s == "CREATE_COMPLETE"),
            "no CREATE_COMPLETE for {}",
            r.logical_id
        );
    }
    assert_eq!(ev.last().unwrap(), &("gw-moto".to_string(), "CREATE_COMPLETE".to_string(), 1.0));
    assert!(ev.iter().any(|(_, _, p)| *p > 0.0 && *p < 1.0), "progress is reported along the way");
    assert_eq!(done.outcome, Outcome::Succeeded, "{done:?}");
    assert_eq!(done.stack_status.as_deref(), Some("CREATE_COMPLETE"));
    let url = done.outputs["ServiceUrl"].clone();
    assert!(url.starts_with("http://") && url.ends_with(".elb.amazonaws.com"), "{url}");
    assert_eq!(url, format!("http://{}", done.outputs["AlbDnsName"]));
    assert_eq!(done.outputs["MasterKeySecretArn"], arn);
    assert_eq!(done.outputs["ClusterName"], "gw-moto");
    // The seed's health check runs against the URL (moto's ALB name does not resolve).
    let health = done.health.clone().expect("a health check after a deploy");
    assert_eq!(health.url, format!("{url}/health/liveliness"));
    assert!(!health.ok && health.error.is_some(), "{health:?}");

    let s = d.status("gw-moto").await.unwrap();
    assert!(s.exists && !s.in_progress);
    assert_eq!(s.status.as_deref(), Some("CREATE_COMPLETE"));
    assert_eq!(s.outputs, done.outputs);
    assert_eq!(s.parameters["DesiredCount"], "1");
    assert!(s.last_failures.is_empty());

    // Manage the deployed gateway: its URL and the master key from Secrets Manager.
    let c = d.connection("gw-moto").await.unwrap();
    assert_eq!((c.url.as_str(), c.master_key.as_str()), (url.as_str(), "sk-moto-master"));

    // The same form again changes nothing.
    let (_, same) = collect(d.up(&f, None).unwrap()).await;
    assert_eq!(same.outcome, Outcome::NoChanges, "{same:?}");
    assert_eq!(same.outputs["ServiceUrl"], url);

    // Update: two tasks.
    let two = DeployRequest { desired_count: 2, ..f.clone() };
    let (items, done) = collect(d.up(&two, None).unwrap()).await;
    let Progress::Plan { operation, .. } = &items[0] else { panic!() };
    assert_eq!(*operation, Operation::Update);
    assert_eq!(done.outcome, Outcome::Succeeded, "{done:?}");
    assert_eq!(done.operation, Some(Operation::Update));
    let ev = events(&items);
    assert!(ev.iter().any(|(id, s, _)| id == "Service" && s == "UPDATE_COMPLETE"), "{ev:?}");
    assert!(
        !ev.iter().any(|(_, s, _)| s == "REVIEW_IN_PROGRESS" || s == "CREATE_IN_PROGRESS"),
        "only this update's events"
    );
    assert_eq!(d.status("gw-moto").await.unwrap().parameters["DesiredCount"], "2");

    // Destroy: confirmation first.
    assert!(matches!(d.down("gw-moto", "gw"), Err(DeployError::Confirmation { .. })));
    assert!(d.status("gw-moto").await.unwrap().exists, "nothing deleted without confirmation");
    let (items, done) = collect(d.down("gw-moto", "gw-moto").unwrap()).await;
    let Progress::Plan { operation: Operation::Delete, total, .. } = &items[0] else { panic!("{:?}", items[0]) };
    assert!(*total >= expected.resources.len());
    let ev = events(&items);
    assert_monotonic(&ev);
    assert!(ev.iter().any(|(id, s, _)| id == "Service" && s == "DELETE_COMPLETE"));
    assert_eq!(done.outcome, Outcome::Deleted, "{done:?}");
    assert_eq!(done.stack_status.as_deref(), Some("DELETE_COMPLETE"));
    assert!(done.message.contains("is yours and was kept"), "{}", done.message);
    assert!(!d.status("gw-moto").await.unwrap().exists);
    assert!(matches!(d.connection("gw-moto").await, Err(DeployError::NotFound { .. })));
    let (_, again) = collect(d.down("gw-moto", "gw-moto").unwrap()).await;
    assert_eq!(again.outcome, Outcome::NotFound);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_resource_is_named_with_its_reason_and_rolled_back() {
    let moto = Moto::start();
    let d = moto.deployer().await;
    let arn = master_key_secret(&d, "gw-fail/master-key", "sk-x").await;
    let mut f = form("gw-fail", &arn);
    // Well-formed ids of subnets that do not exist: the load balancer cannot be created.
    f.network = Network::Existing {
        vpc_id: "vpc-0123456789abcdef0".into(),
        public_subnet_ids: vec!["subnet-00000000000000001".into(), "subnet-00000000000000002".into()],
        private_subnet_ids: vec!["subnet-00000000000000003".into(), "subnet-00000000000000004".into()],
    };
    let (items, done) = collect(d.up(&f, None).unwrap()).await;
    assert_eq!(done.outcome, Outcome::RolledBack, "{done:?}");
    assert_eq!(done.stack_status.as_deref(), Some("ROLLBACK_COMPLETE"));
    let failure = done.failure.clone().expect("the failing resource");
    assert_eq!(failure.logical_id, "LoadBalancer");
    assert_eq!(failure.resource_type, "AWS::ElasticLoadBalancingV2::LoadBalancer");
    assert_eq!(failure.status, "CREATE_FAILED");
    assert!(failure.reason.contains("subnet-0000000000000000"), "{}", failure.reason);
    assert!(done.message.contains("rolled back") && done.message.contains("LoadBalancer"), "{}", done.message);
    let ev = events(&items);
    assert!(ev.iter().any(|(id, s, _)| id == "gw-fail" && s == "ROLLBACK_IN_PROGRESS"));
    assert!(ev.iter().any(|(_, s, _)| s == "DELETE_COMPLETE"), "what was created is deleted by the rollback");
    assert!(done.outputs.is_empty() && done.health.is_none());

    let s = d.status("gw-fail").await.unwrap();
    assert_eq!(s.status.as_deref(), Some("ROLLBACK_COMPLETE"));
    assert_eq!(s.last_failures.first().map(|f| f.logical_id.as_str()), Some("LoadBalancer"));
    assert!(matches!(d.connection("gw-fail").await, Err(DeployError::NotReady(_))));

    // Deploying again (fixed) first removes the rolled-back stack.
    let fixed = form("gw-fail", &arn);
    let (items, done) = collect(d.up(&fixed, None).unwrap()).await;
    assert!(matches!(&items[0], Progress::Message { text } if text.contains("rolled back")), "{:?}", items[0]);
    assert_eq!(done.outcome, Outcome::Succeeded, "{done:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_form_creates_nothing_and_a_bad_template_value_is_reported() {
    let moto = Moto::start();
    let d = moto.deployer().await;
    let bad = DeployRequest { cpu: 512, memory: 512, image_uri: "Not An Image".into(), ..form("gw-bad", "") };
    match d.up(&bad, None) {
        Err(DeployError::Invalid(v)) => {
            let fields: Vec<&str> = v.errors.iter().map(|e| e.field.as_str()).collect();
            assert_eq!(fields, ["image_uri", "memory"]);
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("an invalid form must not start a deploy"),
    }
    assert!(!d.status("gw-bad").await.unwrap().exists);

    // A secret that is not there: the gateway cannot be managed, and the reason says why.
    let f = form("gw-nosecret", "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf");
    let (_, done) = collect(d.up(&f, None).unwrap()).await;
    assert_eq!(done.outcome, Outcome::Succeeded, "{done:?}");
    match d.connection("gw-nosecret").await {
        Err(DeployError::Aws(m)) => {
            assert!(m.contains("secretsmanager:GetSecretValue: ResourceNotFoundException"), "{m}")
        }
        other => panic!("{other:?}"),
    }
}

/// A panel that reloads drops the deploy's stream; `follow` picks the running operation up and
/// replays it from its start.
#[tokio::test(flavor = "multi_thread")]
async fn follow_picks_up_a_running_deploy() {
    let moto = Moto::start_with_event_delay("0.05");
    let d = moto.deployer().await;
    let arn = master_key_secret(&d, "gw-follow/master-key", "sk-f").await;
    let f = form("gw-follow", &arn);
    let mut stream = d.up(&f, None).unwrap();
    let mut seen = 0;
    while let Some(item) = stream.next().await {
        if matches!(item, Progress::Event { .. }) {
            seen += 1;
            if seen == 5 {
                break;
            }
        }
    }
    drop(stream);
    let s = d.status("gw-follow").await.unwrap();
    assert!(s.in_progress, "{s:?}");
    assert_eq!(s.status.as_deref(), Some("CREATE_IN_PROGRESS"));

    let (items, done) = collect(d.follow("gw-follow")).await;
    assert_eq!(done.outcome, Outcome::Succeeded, "{done:?}");
    assert_eq!(done.operation, Some(Operation::Create));
    let ev = events(&items);
    assert_eq!(ev.first().map(|e| e.1.as_str()), Some("CREATE_IN_PROGRESS"), "replayed from the start: {ev:?}");
    assert_eq!(ev.last().unwrap().2, 1.0);
    assert_monotonic(&ev);
    // Following a settled stack reports it at once.
    let (_, again) = collect(d.follow("gw-follow")).await;
    assert_eq!(again.outcome, Outcome::Succeeded);
    let (_, none) = collect(d.follow("nothing-here")).await;
    assert_eq!(none.outcome, Outcome::NotFound);
}

/// A new VPC is created; destroying it fails on moto the way real CloudFormation fails when
/// something outside the stack still uses the VPC, and the report names it.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_vpc_and_a_destroy_that_fails() {
    let moto = Moto::start();
    let d = moto.deployer().await;
    let arn = master_key_secret(&d, "gw-vpc/master-key", "sk-vpc").await;
    let f = form("gw-vpc", &arn);
    let p = plan(&f);
    assert!(p.resources.iter().any(|r| r.logical_id == "NatGateway"));
    let (items, done) = collect(d.up(&f, None).unwrap()).await;
    assert_eq!(done.outcome, Outcome::Succeeded, "{done:?}");
    let created: Vec<String> =
        events(&items).into_iter().filter(|(_, s, _)| s == "CREATE_COMPLETE").map(|(id, ..)| id).collect();
    for r in &p.resources {
        assert!(created.contains(&r.logical_id), "{} not created", r.logical_id);
    }

    let (items, done) = collect(d.down("gw-vpc", "gw-vpc").unwrap()).await;
    assert_eq!(done.outcome, Outcome::Failed, "{done:?}");
    assert_eq!(done.stack_status.as_deref(), Some("DELETE_FAILED"));
    let failure = done.failure.expect("the resource that was not deleted");
    assert_eq!((failure.logical_id.as_str(), failure.status.as_str()), ("Vpc", "DELETE_FAILED"));
    assert!(failure.reason.contains("has dependencies and cannot be deleted"), "{}", failure.reason);
    assert!(done.message.contains("DELETE_FAILED") && done.message.contains("Vpc"), "{}", done.message);
    assert!(events(&items).iter().any(|(id, s, _)| id == "Service" && s == "DELETE_COMPLETE"));

    let s = d.status("gw-vpc").await.unwrap();
    assert_eq!(s.status.as_deref(), Some("DELETE_FAILED"));
    assert_eq!(s.last_failures.first().map(|f| f.logical_id.as_str()), Some("Vpc"));
    let (_, again) = collect(d.up(&f, None).unwrap()).await;
    assert_eq!(again.outcome, Outcome::Error);
    assert!(again.message.contains("DELETE_FAILED") && again.message.contains("destroy it"), "{}", again.message);
}

/// `switchboard-deploy` (the same code as `switchboard deploy`) through the standard AWS
/// configuration: AWS_ENDPOINT_URL and the environment's credentials. (The CLI runs as a child
/// process; blocking this runtime's worker while it does is fine.)
#[tokio::test(flavor = "multi_thread")]
async fn cli_up_status_down() {
    let moto = Moto::start();
    let d = moto.deployer().await;
    let arn = master_key_secret(&d, "gw-cli/master-key", "sk-cli").await;
    let Network::Existing { vpc_id, public_subnet_ids, private_subnet_ids } = existing_network(&d).await else {
        unreachable!()
    };
    let (public, private) = (public_subnet_ids.join(","), private_subnet_ids.join(","));
    let cli = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard-deploy"))
            .args(args)
            .env("AWS_ENDPOINT_URL", &moto.url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let fast = ["--poll-seconds", "0.1", "--health-attempts", "1"];
    let up: Vec<&str> = [
        "up",
        "--json",
        "--name-prefix",
        "gw-cli",
        "--image",
        IMAGE,
        "--no-rds",
        "--master-key-secret-arn",
        &arn,
        "--vpc-id",
        &vpc_id,
        "--public-subnets",
        &public,
        "--private-subnets",
        &private,
    ]
    .into_iter()
    .chain(fast)
    .collect();
    let (code, stdout, stderr) = cli(&up, "");
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("warning: enable_rds"), "{stderr}");
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!((last["type"].as_str(), last["outcome"].as_str()), (Some("done"), Some("succeeded")), "{last}");
    assert!(stdout.lines().any(|l| l.contains(r#""type":"event""#)));

    let (code, stdout, _) = cli(&["status", "--stack", "gw-cli"], "");
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("gw-cli (us-east-1): CREATE_COMPLETE") && stdout.contains("ServiceUrl = http://"),
        "{stdout}"
    );
    let (_, stdout, _) = cli(&["connection", "--stack", "gw-cli", "--show-key"], "");
    assert!(stdout.contains("LITELLM_MASTER_KEY=sk-cli"), "{stdout}");

    let (code, _, stderr) = cli(&["down", "--stack", "gw-cli"], "something else\n");
    assert_eq!(code, Some(1));
    assert!(stderr.contains("not confirmed"), "{stderr}");
    let down: Vec<&str> = ["down", "--stack", "gw-cli"].into_iter().chain(fast).collect();
    let (code, stdout, stderr) = cli(&down, "gw-cli\n");
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Everything the stack created is deleted."), "{stdout}");
    assert!(stdout.contains("DELETE_COMPLETE"), "{stdout}");
}

/// `switchboard deploy image` to ECR: the repository is made when missing (scan on push, a
/// lifecycle policy keeping the last images), kept as it is when present, and the registry
/// login comes from GetAuthorizationToken.
#[tokio::test(flavor = "multi_thread")]
async fn an_ecr_repository_is_made_when_missing_and_the_login_comes_from_the_token() {
    use switchboard_deploy::image::ecr;
    use switchboard_deploy::image::registry::Reference;

    let moto = Moto::start();
    let clients = switchboard_deploy::aws::Clients::connect(&moto.target()).await;
    let reference: Reference = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/switchboard".parse().unwrap();
    assert_eq!(ecr::parse_host(&reference.registry), Some(("123456789012".into(), "us-east-1".into())));

    let first = ecr::prepare(&clients.ecr, &reference, 7).await.unwrap();
    assert!(first.created);
    assert_eq!(first.login.username, "AWS", "ECR's login is the user AWS with the token's password");
    assert!(!first.login.password.is_empty());

    let described = clients.ecr.describe_repositories().repository_names("team/switchboard").send().await.unwrap();
    let repository = &described.repositories()[0];
    assert_eq!(repository.image_scanning_configuration().map(|c| c.scan_on_push()), Some(true));
    let policy = clients.ecr.get_lifecycle_policy().repository_name("team/switchboard").send().await.unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.lifecycle_policy_text().unwrap()).unwrap();
    assert_eq!(policy["rules"][0]["selection"]["countNumber"], 7);

    // A repository that exists is used as it is: its own policy stays.
    let own = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":99},"action":{"type":"expire"}}]}"#;
    clients
        .ecr
        .put_lifecycle_policy()
        .repository_name("team/switchboard")
        .lifecycle_policy_text(own)
        .send()
        .await
        .unwrap();
    let again = ecr::prepare(&clients.ecr, &reference, 7).await.unwrap();
    assert!(!again.created);
    let policy = clients.ecr.get_lifecycle_policy().repository_name("team/switchboard").send().await.unwrap();
    assert!(policy.lifecycle_policy_text().unwrap().contains("99"));
}

/// `deploy up` without an image: the gateway's image is built, pushed (here to a local
/// registry; ECR's repository and login are the test above), and deployed by its digest.
#[tokio::test(flavor = "multi_thread")]
async fn cli_up_without_an_image_builds_pushes_and_deploys_it_by_digest() {
    let moto = Moto::start();
    let d = moto.deployer().await;
    let arn = master_key_secret(&d, "gw-img/master-key", "sk-img").await;
    let Network::Existing { vpc_id, public_subnet_ids, private_subnet_ids } = existing_network(&d).await else {
        unreachable!()
    };
    let dir = std::env::temp_dir().join(format!("switchboard-deploy-image-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let registry = registry::LocalRegistry::start(&dir);
    // Any Linux x86_64 program makes an image; the gateway's own is `switchboard`'s test.
    let binary = env!("CARGO_BIN_EXE_switchboard-deploy");
    let (public, private) = (public_subnet_ids.join(","), private_subnet_ids.join(","));
    let repository = format!("{}/gw-img", registry.host);
    let out = Command::new(binary)
        .args(["up", "--json", "--name-prefix", "gw-img", "--no-rds", "--master-key-secret-arn", &arn])
        .args(["--vpc-id", &vpc_id, "--public-subnets", &public, "--private-subnets", &private])
        .args(["--repository", &repository, "--insecure", "--binary", binary])
        .args(["--poll-seconds", "0.1", "--health-attempts", "1"])
        .env("AWS_ENDPOINT_URL", &moto.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let image_steps = |lines: &[serde_json::Value], step: &str| -> Vec<serde_json::Value> {
        lines.iter().filter(|l| l["type"] == "image" && l["step"] == step).cloned().collect()
    };
    let pushed = image_steps(&lines, "pushed");
    let reference = pushed[0]["reference"].as_str().unwrap().to_string();
    assert!(reference.starts_with(&format!("{repository}@sha256:")), "{reference}");
    assert_eq!(image_steps(&lines, "uploaded").len(), 2, "the layer and the config");
    let first_event = lines.iter().position(|l| l["type"] == "event" || l["type"] == "plan").unwrap();
    let last_image = lines.iter().rposition(|l| l["type"] == "image").unwrap();
    assert!(last_image < first_event, "the image is pushed before the change set");
    let last = lines.last().unwrap();
    assert_eq!((last["type"].as_str(), last["outcome"].as_str()), (Some("done"), Some("succeeded")), "{last}");
    assert_eq!(last["image"], reference.as_str());

    // The stack runs the pushed digest, which the registry has.
    let parameters = |d: &switchboard_deploy::Deployer| {
        let d = d.clone();
        async move {
            let stacks = d.clients().cloudformation.describe_stacks().stack_name("gw-img").send().await.unwrap();
            stacks.stacks()[0]
                .parameters()
                .iter()
                .map(|p| (p.parameter_key().unwrap().to_string(), p.parameter_value().unwrap_or_default().to_string()))
                .collect::<std::collections::BTreeMap<_, _>>()
        }
    };
    let deployed = parameters(&d).await;
    assert_eq!(deployed["ImageUri"], reference);
    let digest = reference.rsplit_once('@').unwrap().1;
    let manifest = reqwest::Client::new()
        .get(format!("http://{}/v2/gw-img/manifests/{digest}", registry.host))
        .header("Accept", "application/vnd.oci.image.manifest.v1+json")
        .send()
        .await
        .unwrap();
    assert_eq!(manifest.status(), 200);

    // `deploy update`: another build (here: another CA bundle, so another layer) is pushed to the
    // repository the running image came from, and the service rolls to it; the rest stays.
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, "# another bundle\n").unwrap();
    let update = |extra: &[&str]| {
        Command::new(binary)
            .args(["update", "--json", "--region", "us-east-1", "--poll-seconds", "0.1", "--health-attempts", "1"])
            .args(["--binary", binary, "--ca-bundle", ca.to_str().unwrap()])
            .args(extra)
            .env("AWS_ENDPOINT_URL", &moto.url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap()
    };
    let out = update(&["--stack", "gw-img"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let updated = image_steps(&lines, "pushed")[0]["reference"].as_str().unwrap().to_string();
    assert!(updated.starts_with(&format!("{repository}@sha256:")) && updated != reference, "{updated}");
    assert_eq!(image_steps(&lines, "uploaded").len(), 2, "a new layer and config");
    let last = lines.last().unwrap();
    assert_eq!((last["outcome"].as_str(), last["operation"].as_str()), (Some("succeeded"), Some("update")), "{last}");
    let after = parameters(&d).await;
    assert_eq!(after["ImageUri"], updated);
    for (k, v) in &deployed {
        if k != "ImageUri" {
            assert_eq!(&after[k], v, "{k} keeps its value");
        }
    }

    // Updating a stack that is not there says so, and builds nothing.
    let out = update(&["--stack", "gw-missing"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["outcome"], "not_found", "{stdout}");
    assert!(!stdout.contains("\"image\""), "{stdout}");
    drop(registry);
    let _ = std::fs::remove_dir_all(&dir);
}
