//! A real Postfix (Debian's package) as a test peer: a loopback-only instance with its own
//! config, queue and log in a fresh directory, serving the lab PKI's certificate; stopped
//! with `postfix stop` when dropped. The master must start as root (CI runs as root).

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::fixture;

/// Where Debian's package puts the binaries (also `command_directory` in main.cf).
const POSTFIX: &str = "/usr/sbin/postfix";
/// How long the master gets to start listening: `postfix-script` runs its integrity checks
/// first, which takes seconds when several instances start at once on a busy machine.
const READY: Duration = Duration::from_secs(30);
/// How long a log line may take to reach the maillog after the dialogue that caused it.
const LOGGED: Duration = Duration::from_secs(10);
/// How long `postfix stop` may take (it waits up to 5 s for the master itself).
const STOP: Duration = Duration::from_secs(10);

/// A running Postfix master with one smtpd listener on 127.0.0.1.
pub struct Postfix {
    child: Child,
    pub addr: SocketAddr,
    config: PathBuf,
    // Declared last so the instance is stopped before its directory goes.
    dir: tempfile::TempDir,
}

impl Postfix {
    /// Start Postfix with the base settings (`smtpd_tls_security_level = may`, the lab
    /// server certificate, the lab root as the CA for client certificates) and then
    /// `settings`, which override them.
    pub async fn start(settings: &[(&str, &str)]) -> Postfix {
        assert!(
            Path::new(POSTFIX).exists(),
            "{POSTFIX} is missing: install Debian's postfix package (.ci/run does)"
        );
        let uid = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
        assert_eq!(
            uid,
            Some(0),
            "the Postfix tests must run as root: Postfix's master starts as root and drops to the postfix user"
        );
        // Not TMPDIR: that may be a private 0700 directory, and the postfix user must reach
        // the queue inside. The system temporary directory at the root is open to everyone.
        let dir = tempfile::Builder::new()
            .prefix("tlsdive-postfix-")
            .tempdir_in(Path::new("/").join("tmp"))
            .expect("make the Postfix instance directory");
        set_mode(dir.path(), 0o755);
        let root = dir.path();
        let pki = &fixture().pki;
        let cert = root.join("server.pem");
        std::fs::write(&cert, pki.server.cert_pem.clone() + &pki.intermediate_pem())
            .expect("write server chain");
        let key = root.join("server.key");
        std::fs::write(&key, pki.server.key_pem()).expect("write server key");
        set_mode(&key, 0o600);
        let ca = root.join("client-ca.pem");
        std::fs::write(&ca, pki.ca_pem()).expect("write client CA");
        for d in ["config", "queue", "data"] {
            std::fs::create_dir(root.join(d)).expect("make instance subdirectory");
        }
        run_ok(Command::new("chown").arg("postfix").arg(root.join("data")));

        let port = free_port();
        let config = root.join("config");
        let mut main = String::new();
        let base = base_main_cf(root, &cert, &key, &ca);
        for (name, value) in &base {
            // Replaced, not repeated: Postfix warns about every repeated parameter.
            let value = settings
                .iter()
                .find(|(n, _)| n == name)
                .map_or(value.as_str(), |(_, v)| *v);
            writeln!(main, "{name} = {value}").unwrap();
        }
        for (name, value) in settings {
            if !base.iter().any(|(n, _)| n == name) {
                writeln!(main, "{name} = {value}").unwrap();
            }
        }
        std::fs::write(config.join("main.cf"), main).expect("write main.cf");
        std::fs::write(config.join("master.cf"), master_cf(port)).expect("write master.cf");

        // `check` also creates the queue's subdirectories with the right owners.
        run_ok(Command::new(POSTFIX).arg("-c").arg(&config).arg("check"));
        let out = std::fs::File::create(root.join("start-fg.out")).expect("start-fg output file");
        let child = Command::new(POSTFIX)
            .arg("-c")
            .arg(&config)
            .arg("start-fg")
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dup output file"))
            .stderr(out)
            .spawn()
            .expect("run postfix start-fg");
        let mut postfix = Postfix {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            config,
            dir,
        };
        postfix.wait_ready().await;
        postfix
    }

    /// Poll until the master accepts connections (bounded by [`READY`]).
    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + READY;
        loop {
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("postfix start-fg exited ({status}):\n{}", self.logs());
            }
            assert!(
                Instant::now() < deadline,
                "Postfix did not listen on {} within {READY:?}:\n{}",
                self.addr,
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The instance's maillog and start-fg output, for failure messages.
    pub fn logs(&self) -> String {
        let read =
            |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!(
            "--- start-fg ---\n{}--- maillog ---\n{}",
            read("start-fg.out"),
            read("maillog")
        )
    }

    /// Whether the maillog holds `line`, waiting (bounded) for it: Postfix's postlogd writes
    /// the log after the client has its answer, and a fast probe can read it first.
    pub async fn logged(&self, line: &str) -> bool {
        let deadline = Instant::now() + LOGGED;
        loop {
            if self.logs().contains(line) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The lab CA file (the trust anchor for the server certificate).
    pub fn ca_file(&self) -> &Path {
        &fixture().ca
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        // `postfix stop` signals the master, which ends its children, and waits for it.
        let stopped = Command::new(POSTFIX)
            .arg("-c")
            .arg(&self.config)
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .is_ok_and(|mut stop| {
                let exited = exits_within(&mut stop, STOP);
                if !exited {
                    let _ = stop.kill();
                }
                stop.wait().is_ok_and(|s| exited && s.success())
            });
        if !stopped {
            // Say the test failed while Postfix was still starting: neither the script nor
            // a master of this instance (in a session of its own) may outlive the test.
            let _ = self.child.kill();
            self.kill_master();
        }
        let _ = self.child.wait();
    }
}

impl Postfix {
    /// SIGKILL to the pid in this instance's `master.pid`, if that process is a master.
    fn kill_master(&self) {
        let pid_file = self.dir.path().join("queue/pid/master.pid");
        let Some(pid) = std::fs::read_to_string(pid_file)
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
            .filter(|p| *p > 1)
        else {
            return;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains("postfix/sbin/master") {
            // A plain positive pid: never a process group.
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Wait for `child` to exit, at most `limit`.
fn exits_within(child: &mut Child, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn base_main_cf(root: &Path, cert: &Path, key: &Path, ca: &Path) -> Vec<(&'static str, String)> {
    let d = |p: &Path| p.display().to_string();
    vec![
        ("compatibility_level", "3.6".into()),
        ("queue_directory", d(&root.join("queue"))),
        ("data_directory", d(&root.join("data"))),
        ("command_directory", "/usr/sbin".into()),
        ("daemon_directory", "/usr/lib/postfix/sbin".into()),
        ("meta_directory", "/etc/postfix".into()),
        ("shlib_directory", "/usr/lib/postfix".into()),
        ("mail_owner", "postfix".into()),
        ("myhostname", tlsdive::lab::SERVER_NAME.into()),
        ("mydestination", String::new()),
        ("inet_interfaces", "127.0.0.1".into()),
        ("inet_protocols", "ipv4".into()),
        ("maillog_file", d(&root.join("maillog"))),
        // Postfix writes its log only under a listed prefix.
        ("maillog_file_prefixes", d(root.parent().unwrap_or(root))),
        ("smtpd_tls_cert_file", d(cert)),
        ("smtpd_tls_key_file", d(key)),
        ("smtpd_tls_CAfile", d(ca)),
        ("smtpd_tls_security_level", "may".into()),
    ]
}

/// One smtpd on `port`, and the internal services Postfix needs, none chrooted (the
/// instance has no chroot jail set up).
fn master_cf(port: u16) -> String {
    format!(
        "127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60   1 pickup
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
verify    unix  - - n -    1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -    - proxymap
smtp      unix  - - n -    - smtp
relay     unix  - - n -    - smtp
showq     unix  n - n -    - showq
error     unix  - - n -    - error
retry     unix  - - n -    - error
discard   unix  - - n -    - discard
local     unix  - n n -    - local
virtual   unix  - n n -    - virtual
lmtp      unix  - - n -    - lmtp
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
"
    )
}

/// A port nobody listens on right now: bind an ephemeral one and let it go.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("its address").port()
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
