//! Debian's `docker-registry` (the reference OCI distribution server) on a free port of
//! 127.0.0.1, its storage in a folder of the test's; stopped on drop. Shared by the image tests
//! of `switchboard` and `switchboard-deploy` (`#[path]`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

pub struct LocalRegistry {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub host: String,
}

impl LocalRegistry {
    pub fn start(dir: &Path) -> LocalRegistry {
        LocalRegistry::start_on(dir, std::net::Ipv4Addr::LOCALHOST)
    }

    /// On `ip` (an address of this machine).
    pub fn start_on(dir: &Path, ip: std::net::Ipv4Addr) -> LocalRegistry {
        assert!(
            Path::new(REGISTRY_BIN).is_file(),
            "{REGISTRY_BIN} not found: apt-get install docker-registry (make test installs it)"
        );
        let port = std::net::TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap().port();
        let config = dir.join("registry.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {ip}:{port}\n",
                dir.join("storage").display()
            ),
        )
        .unwrap();
        let child = Command::new(REGISTRY_BIN)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("registry.log")).unwrap())
            .spawn()
            .expect("start docker-registry");
        wait_for_port(ip, port, "docker-registry");
        LocalRegistry { child, host: format!("{ip}:{port}") }
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn wait_for_port(ip: std::net::Ipv4Addr, port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect((ip, port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on {port} within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}
