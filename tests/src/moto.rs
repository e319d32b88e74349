//! moto_server (from the venv `make test` installs) on a free port, for the AWS services no fake of
//! ours stands in for: Secrets Manager. Stopped on drop.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub struct Moto {
    child: Child,
    pub url: String,
    http: reqwest::Client,
}

fn venv() -> PathBuf {
    std::env::var_os("SWITCHBOARD_VENV").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().map(|root| root.join(".venv")).unwrap_or_default()
    })
}

impl Moto {
    pub fn start() -> Moto {
        let moto_server = venv().join("bin/moto_server");
        assert!(
            moto_server.is_file(),
            "{} not found: these tests need moto[server] (tests/deploy/requirements.txt): run `make test`",
            moto_server.display()
        );
        let port =
            TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port");
        let child = Command::new(moto_server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
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
        Moto { child, url: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new() }
    }

    /// One Secrets Manager call (awsJson1.1), as the SDK would make it.
    pub async fn secrets_manager(&self, operation: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(&self.url)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", format!("secretsmanager.{operation}"))
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/secretsmanager/aws4_request, \
                 SignedHeaders=host, Signature=0",
            )
            .body(body.to_string())
            .send()
            .await
            .expect("moto answers");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// A secret holding `members` as JSON; its ARN.
    pub async fn create_secret(&self, name: &str, members: Value) -> String {
        let (status, out) =
            self.secrets_manager("CreateSecret", json!({"Name": name, "SecretString": members.to_string()})).await;
        assert_eq!(status, 200, "CreateSecret: {out}");
        out["ARN"].as_str().expect("the secret's ARN").to_string()
    }

    /// A new value for a secret (a rotation).
    pub async fn put_secret(&self, name: &str, members: Value) {
        let (status, out) = self
            .secrets_manager("PutSecretValue", json!({"SecretId": name, "SecretString": members.to_string()}))
            .await;
        assert_eq!(status, 200, "PutSecretValue: {out}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
