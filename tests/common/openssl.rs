//! `openssl s_server` as a test peer: an RSA certificate made with rcgen, the server on an
//! ephemeral 127.0.0.1 port read from its `ACCEPT` line (no sleeps), killed when dropped.

use std::net::SocketAddr;
use std::process::Stdio;

use std::path::Path;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// A running `openssl s_server`.
pub struct SServer {
    _child: Child,
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

/// Start `openssl s_server` with `args` and wait for its ACCEPT line.
pub async fn s_server(args: &[&str]) -> SServer {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (c, k) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    let (child, mut lines, addr) = spawn(&[("-cert", &c), ("-key", &k)], args).await;
    // Keep draining its output so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    SServer {
        _child: child,
        addr,
        _dir: dir,
    }
}

/// `openssl s_server -accept 127.0.0.1:0` with each `(option, file)` of `files` (`-cert`,
/// `-key`, ...), then `args`; stdin and stdout piped. Returns once it prints its `ACCEPT`
/// line, with the rest of its output to read.
pub async fn spawn(
    files: &[(&str, &Path)],
    args: &[&str],
) -> (Child, Lines<BufReader<ChildStdout>>, SocketAddr) {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_server", "-accept", "127.0.0.1:0"]);
    for (option, file) in files {
        cmd.arg(option).arg(file);
    }
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("openssl s_server (install openssl)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("s_server exited before ACCEPT");
        if let Some(a) = line.strip_prefix("ACCEPT ") {
            break a.trim().parse().expect("ACCEPT address");
        }
    };
    (child, lines, addr)
}
