//! A real Exim 4 on GnuTLS as a test peer, unpacked beside Postfix (Debian's exim4 and postfix
//! packages conflict): `.ci/exim` downloads exim4-daemon-light, exim4-base and exim4-config
//! into `target/exim/` and unpacks them there; this starts `exim4 -C CONF -bd -oX PORT` with a
//! root-owned config in a temp folder, spool and log owned by `Debian-exim` (Exim drops root
//! to that user). The port is polled with a deadline; the daemon is killed when dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The unpacked exim4 binary: `$TLSDIVE_EXIM`, else `target/exim/pkg/usr/sbin/exim4`.
pub fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("TLSDIVE_EXIM") {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("exim/pkg/usr/sbin/exim4")
}

/// A running Exim daemon on 127.0.0.1.
pub struct Exim {
    pid: u32,
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
}

impl Drop for Exim {
    fn drop(&mut self) {
        // Our own daemon, by its pid (it forks per connection; the children end with it).
        let _ = Command::new("kill").arg(self.pid.to_string()).status();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

impl Exim {
    /// Starts Exim with an RSA certificate for `localhost` and `tls` lines added to the main
    /// section (e.g. `tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.0`). `{DIR}` in them
    /// stands for the server's folder (certificate `c.pem`, key `k.pem`, CA `ca.pem`).
    pub fn start(tls: &str) -> Exim {
        let exim = binary();
        assert!(
            exim.exists(),
            "{} is missing: run .ci/exim (or .ci/run) to unpack Exim",
            exim.display()
        );
        let dir = tempfile::Builder::new()
            .prefix("tlsdive-exim")
            .tempdir()
            .unwrap();
        let d = dir.path();
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key");
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        std::fs::write(d.join("c.pem"), cert.pem()).unwrap();
        std::fs::write(d.join("k.pem"), key.serialize_pem()).unwrap();
        std::fs::write(d.join("ca.pem"), cert.pem()).unwrap();
        for sub in ["spool", "log"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        let owner = |p: &Path| {
            let ok = Command::new("chown")
                .arg("-R")
                .arg("Debian-exim:Debian-exim")
                .arg(p)
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown Debian-exim (the user .ci/exim creates)");
        };
        for f in ["c.pem", "k.pem", "ca.pem", "spool", "log"] {
            owner(&d.join(f));
        }
        let port = free_port();
        let conf = format!(
            "primary_hostname = localhost\n\
             spool_directory = {dir}/spool\n\
             log_file_path = {dir}/log/%slog\n\
             pid_file_path = {dir}/exim.pid\n\
             exim_user = Debian-exim\n\
             exim_group = Debian-exim\n\
             never_users = root\n\
             local_interfaces = 127.0.0.1\n\
             tls_advertise_hosts = *\n\
             tls_certificate = {dir}/c.pem\n\
             {key}\
             {tls}\n\
             acl_smtp_rcpt = acl_check_rcpt\n\
             begin acl\n\
             acl_check_rcpt:\n  deny\n",
            dir = d.display(),
            // A test that sets its own key file replaces this line (Exim refuses a repeat).
            key = if tls.contains("tls_privatekey") {
                String::new()
            } else {
                format!("tls_privatekey = {}/k.pem\n", d.display())
            },
            tls = tls.replace("{DIR}", &d.display().to_string()),
        );
        // Root-owned and not writable by others, or Exim refuses it.
        std::fs::write(d.join("exim.conf"), conf).unwrap();
        let child = Command::new(&exim)
            .arg("-C")
            .arg(d.join("exim.conf"))
            .args(["-bd", "-oX", &port.to_string()])
            .arg("-oP")
            .arg(d.join("exim.pid"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("exim4 runs");
        assert!(child.success(), "exim4 -bd failed");
        // The daemon forks; wait for its port, with a deadline.
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(20);
        let pid_file = d.join("exim.pid");
        loop {
            let up =
                std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok();
            let pid = std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|s| s.trim().parse::<u32>().ok());
            if let (true, Some(pid)) = (up, pid) {
                return Exim { pid, addr, dir };
            }
            assert!(
                Instant::now() < deadline,
                "Exim did not listen on {addr} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Exim's main log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log/mainlog")).unwrap_or_default()
    }
}
