//! `openssl s_server` with the lab's certificate that answers the SMTP a client speaks
//! after TLS (EHLO → 250, QUIT → 221): a real OpenSSL peer, behind the lab's STARTTLS
//! front, whose TLS settings the test picks and through which a whole dialogue completes.

use std::net::SocketAddr;

use tokio::io::AsyncWriteExt;
use tokio::process::Child;

/// A running `openssl s_server` and the task that answers its clients' SMTP commands.
pub struct SmtpSServer {
    _child: Child,
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
    answer: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSServer {
    fn drop(&mut self) {
        self.answer.abort();
    }
}

/// Start `openssl s_server` with the lab server's certificate (leaf, intermediate, key)
/// and `args`, and wait for its ACCEPT line.
pub async fn s_server_smtp(args: &[&str]) -> SmtpSServer {
    let pki = &super::fixture().pki;
    let dir = tempfile::tempdir().unwrap();
    let (c, k, chain) = (
        dir.path().join("c.pem"),
        dir.path().join("k.pem"),
        dir.path().join("chain.pem"),
    );
    std::fs::write(&c, &pki.server.cert_pem).unwrap();
    std::fs::write(&k, pki.server.key_pem()).unwrap();
    std::fs::write(&chain, pki.intermediate_pem()).unwrap();
    let (mut child, mut lines, addr) = super::openssl::spawn(
        &[("-cert", &c), ("-key", &k), ("-cert_chain", &chain)],
        args,
    )
    .await;
    let mut stdin = child.stdin.take().unwrap();
    // s_server prints what its client sends and sends what it reads on stdin; it serves one
    // client at a time, so each reply goes to the client whose command was just read. A
    // client always reads the reply to its QUIT, so none is left over for the next one.
    let answer = tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let verb = line.trim().to_ascii_uppercase();
            let reply: &[u8] = if verb.starts_with("EHLO ") || verb.starts_with("HELO ") {
                b"250 mx.lab.tlsdive.test\r\n"
            } else if verb == "QUIT" {
                b"221 bye\r\n"
            } else {
                continue;
            };
            if stdin.write_all(reply).await.is_err() || stdin.flush().await.is_err() {
                return;
            }
        }
    });
    SmtpSServer {
        _child: child,
        addr,
        _dir: dir,
        answer,
    }
}
