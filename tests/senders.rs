//! Sender profiles: each profile's bytes against its source (a fresh capture of the real
//! library where the machine has it: OpenSSL 3.0 for `postfix`, GnuTLS 3.7 for `exim`,
//! tlsdive's own rustls config for `rustls`), its JA4 against the bytes, and the verdicts
//! against real peers: `openssl s_server` limited to TLS 1.0 or to RSA key exchange, and a
//! lab path that drops ClientHellos over 1,200 bytes.

mod common;

use std::sync::Arc;

use tlsdive::scan::senders::build::{self, handshake_with};
use tlsdive::scan::senders::ja4::{Fields, ja4};
use tlsdive::scan::senders::{self, SenderProfile};
use tokio::io::AsyncReadExt;

fn profile(name: &str) -> SenderProfile {
    senders::profile::builtin_named(name).unwrap_or_else(|| panic!("profile {name}"))
}

/// A profile's handshake message with fixed randoms and real shares.
fn hello_of(p: &SenderProfile) -> Vec<u8> {
    let shares: Vec<(u16, Vec<u8>)> = p
        .key_shares
        .iter()
        .map(|g| (*g, build::key_share(*g).unwrap()))
        .collect();
    let session = vec![7u8; usize::from(p.session_id_len)];
    handshake_with(p, Some("mx.example.net"), &[9; 32], &session, &shares)
}

/// What must match between a profile and its source: everything but the randoms and
/// share values (and the padding, whose length follows the SNI's).
/// `shuffled`: the source randomises its extension order (rustls), so only the set counts.
fn assert_same_shape(ours: &Fields, theirs: &Fields, what: &str, shuffled: bool) {
    let no_pad = |f: &Fields| -> Vec<u16> {
        let mut t: Vec<u16> = f
            .extension_types()
            .into_iter()
            .filter(|t| *t != 21)
            .collect();
        if shuffled {
            t.sort_unstable();
        }
        t
    };
    assert_eq!(
        ours.legacy_version, theirs.legacy_version,
        "{what}: legacy_version"
    );
    assert_eq!(
        ours.session_id_len, theirs.session_id_len,
        "{what}: session id"
    );
    assert_eq!(ours.suites, theirs.suites, "{what}: cipher suites");
    assert_eq!(no_pad(ours), no_pad(theirs), "{what}: extensions and order");
    assert_eq!(
        ours.u16_list(10, 2),
        theirs.u16_list(10, 2),
        "{what}: groups"
    );
    assert_eq!(
        ours.key_share_groups(),
        theirs.key_share_groups(),
        "{what}: key shares"
    );
    assert_eq!(
        ours.u16_list(13, 2),
        theirs.u16_list(13, 2),
        "{what}: signature algorithms"
    );
    assert_eq!(
        ours.u16_list(43, 1),
        theirs.u16_list(43, 1),
        "{what}: versions"
    );
    for typ in [5u16, 11, 16, 22, 23, 28, 35, 45, 0xff01] {
        assert_eq!(
            ours.extension(typ),
            theirs.extension(typ),
            "{what}: extension {typ}"
        );
    }
}

#[test]
fn every_profile_carries_the_ja4_of_its_bytes() {
    for p in senders::builtin() {
        let got = ja4(&hello_of(&p)).unwrap();
        assert_eq!(p.ja4.as_deref(), Some(got.as_str()), "{}", p.name);
    }
}

/// The first ClientHello a client writes to a listener, as the records on the wire (headers
/// included); the client is started by `spawn` with the listener's address. With `smtp`, the
/// listener first plays a mail server up to its `220` to STARTTLS (for posttls-finger).
async fn capture(
    smtp: bool,
    spawn: impl FnOnce(std::net::SocketAddr) -> tokio::process::Child,
) -> Vec<u8> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut child = spawn(listener.local_addr().unwrap());
    let wait = std::time::Duration::from_secs(20);
    let (tcp, _) = tokio::time::timeout(wait, listener.accept())
        .await
        .expect("the client connects")
        .unwrap();
    let mut tcp = tokio::io::BufReader::new(tcp);
    if smtp {
        tcp.get_mut()
            .write_all(b"220 capture ESMTP\r\n")
            .await
            .unwrap();
        // A bounded dialogue: EHLO, then STARTTLS; anything else is answered 250.
        for _ in 0..8 {
            let mut line = String::new();
            tokio::time::timeout(wait, tcp.read_line(&mut line))
                .await
                .expect("an SMTP command")
                .unwrap();
            let cmd = line.to_ascii_uppercase();
            if cmd.starts_with("STARTTLS") {
                tcp.get_mut()
                    .write_all(b"220 2.0.0 go ahead\r\n")
                    .await
                    .unwrap();
                break;
            }
            let reply: &[u8] = if cmd.starts_with("EHLO") {
                b"250-capture\r\n250 STARTTLS\r\n"
            } else {
                b"250 ok\r\n"
            };
            tcp.get_mut().write_all(reply).await.unwrap();
        }
    }
    let mut wire = Vec::new();
    let mut msg = Vec::new();
    loop {
        let mut head = [0u8; 5];
        tokio::time::timeout(wait, tcp.read_exact(&mut head))
            .await
            .expect("a TLS record")
            .unwrap();
        let mut body = vec![0u8; usize::from(u16::from_be_bytes([head[3], head[4]]))];
        tcp.read_exact(&mut body).await.unwrap();
        wire.extend(head);
        wire.extend(&body);
        msg.extend(body);
        if msg.len() >= 4 {
            let len = u32::from_be_bytes([0, msg[1], msg[2], msg[3]]) as usize;
            if msg.len() >= 4 + len {
                break;
            }
        }
    }
    let _ = child.kill().await;
    wire
}

/// Key shares as (group, public value).
type Shares = Vec<(u16, Vec<u8>)>;

/// What differs by nature between two hellos of one sender, taken from the capture so the
/// rest can be compared byte for byte: the 32-byte random, the session id's value (its
/// length is compared) and each key share's public value (its group and length are
/// compared). Nothing else is masked: padding, order and every extension body count.
fn natural_parts(msg: &[u8]) -> ([u8; 32], Vec<u8>, Shares) {
    let random: [u8; 32] = msg[6..38].try_into().unwrap();
    let sid = msg[39..39 + usize::from(msg[38])].to_vec();
    let fields = Fields::parse(msg).unwrap();
    let mut shares = Vec::new();
    if let Some(ks) = fields.extension(51) {
        let mut at = 2;
        while at + 4 <= ks.len() {
            let group = u16::from_be_bytes([ks[at], ks[at + 1]]);
            let len = usize::from(u16::from_be_bytes([ks[at + 2], ks[at + 3]]));
            shares.push((group, ks[at + 4..at + 4 + len].to_vec()));
            at += 4 + len;
        }
    }
    (random, sid, shares)
}

/// The profile's hello as one record, with the capture's random, session id and share
/// values (no SNI: these senders send none to an address or by default).
fn ours_like(p: &SenderProfile, theirs_wire: &[u8]) -> Vec<u8> {
    let (random, sid, shares) = natural_parts(&theirs_wire[5..]);
    let ours = handshake_with(p, None, &random, &sid, &shares);
    let mut wire = vec![22];
    wire.extend(p.record_version.to_be_bytes());
    wire.extend(u16::try_from(ours.len()).unwrap().to_be_bytes());
    wire.extend(ours);
    wire
}

/// Byte for byte, with a readable failure: the field split first, then the bytes.
fn assert_same_bytes(p: &SenderProfile, theirs_wire: &[u8], what: &str) {
    let ours = ours_like(p, theirs_wire);
    if ours != theirs_wire {
        let a = Fields::parse(&ours[5..]).unwrap();
        let b = Fields::parse(&theirs_wire[5..]).unwrap();
        assert_same_shape(&a, &b, what, false);
        assert_eq!(
            a.extensions, b.extensions,
            "{what}: extension bodies (padding included)"
        );
        assert_eq!(ours, theirs_wire, "{what}: bytes");
    }
    assert_eq!(
        ja4(&theirs_wire[5..]).unwrap(),
        p.ja4.clone().unwrap(),
        "{what}: ja4"
    );
}

/// posttls-finger at `level`, with a throwaway configuration (only the level; the rest is
/// Postfix's built-in defaults), against the listener.
fn posttls_finger(
    level: &'static str,
    dir: &std::path::Path,
) -> impl FnOnce(std::net::SocketAddr) -> tokio::process::Child {
    std::fs::write(
        dir.join("main.cf"),
        format!("smtp_tls_security_level = {level}\n"),
    )
    .unwrap();
    let dir = dir.to_path_buf();
    move |addr| {
        tokio::process::Command::new("posttls-finger")
            .env("MAIL_CONFIG", &dir)
            .args(["-c", "-l", level])
            .arg(format!("[{}]:{}", addr.ip(), addr.port()))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("posttls-finger (postfix package; .ci/run installs it)")
    }
}

/// Postfix and OpenSSL as the postfix profiles were captured from, or why not.
fn postfix_as_captured() -> Result<(), String> {
    let out = std::process::Command::new("postconf")
        .args(["-h", "mail_version"])
        .output()
        .map_err(|e| format!("postconf: {e}"))?;
    let pf = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let ssl = tool_version("openssl", "version").unwrap_or_default();
    if pf.starts_with("3.7.") && ssl.starts_with("OpenSSL 3.0.") {
        Ok(())
    } else {
        Err(format!(
            "the postfix profiles are Postfix 3.7 on OpenSSL 3.0, this is {pf} on {ssl}"
        ))
    }
}

#[tokio::test]
async fn postfix_may_is_byte_for_byte_what_posttls_finger_sends() {
    if let Err(why) = postfix_as_captured() {
        eprintln!("skipped: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for level in ["may", "encrypt"] {
        let theirs = capture(true, posttls_finger(level, dir.path())).await;
        assert_eq!(theirs.len(), 5 + 512, "{level}: padded to 512 bytes");
        assert_same_bytes(&profile("postfix"), &theirs, level);
    }
}

#[tokio::test]
async fn postfix_secure_and_dane_are_byte_for_byte_what_posttls_finger_sends() {
    if let Err(why) = postfix_as_captured() {
        eprintln!("skipped: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for level in ["secure", "verify"] {
        let theirs = capture(true, posttls_finger(level, dir.path())).await;
        assert_same_bytes(&profile("postfix-secure"), &theirs, level);
        assert_same_bytes(&profile("postfix-dane"), &theirs, level);
    }
}

fn tool_version(cmd: &str, arg: &str) -> Option<String> {
    let out = std::process::Command::new(cmd).arg(arg).output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test]
async fn exim_is_byte_for_byte_what_gnutls_normal_sends() {
    // `.ci/run` installs gnutls-bin: missing, the comparison fails rather than passes.
    let version = tool_version("gnutls-cli", "--version").expect("gnutls-cli (gnutls-bin)");
    if !version.contains(" 3.7.") {
        eprintln!("skipped: the exim profile is GnuTLS 3.7's hello, this is {version}");
        return;
    }
    let theirs = capture(false, |addr| {
        tokio::process::Command::new("gnutls-cli")
            .args(["--priority", "NORMAL", "--insecure", "-p"])
            .arg(addr.port().to_string())
            .arg("127.0.0.1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    })
    .await;
    assert_same_bytes(&profile("exim"), &theirs, "exim vs gnutls NORMAL");
}

/// The profiles that say they were captured are the ones compared above (and rustls, with
/// the engine's own hello below); the others say "not captured" in the report.
#[test]
fn captured_profiles_are_the_compared_ones() {
    let captured: Vec<String> = senders::builtin()
        .into_iter()
        .filter(|p| p.captured)
        .map(|p| p.name)
        .collect();
    assert_eq!(
        captured,
        [
            "postfix",
            "postfix-secure",
            "postfix-dane",
            "exim",
            "rustls"
        ]
    );
}

/// tlsdive's own hello: the engine's rustls config for a default plan, SNI on.
fn rustls_hello() -> Vec<u8> {
    use tlsdive::engine::{Emitter, tls, verify::CapturingVerifier};
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let emitter = Emitter::new(1, tx);
    let opts = tlsdive::plan::Plan::new(tlsdive::plan::Target::Ip([127, 0, 0, 1].into()))
        .tls
        .clone();
    let provider = Arc::new(tls::provider(&opts).unwrap());
    let name = rustls_pki_types::ServerName::try_from("mx.example.net").unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let verifier = CapturingVerifier::new(roots, provider, name.clone(), true, emitter.clone());
    let config = tls::client_config(
        &opts,
        Arc::new(verifier.unwrap()),
        &emitter,
        &Default::default(),
    )
    .unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut wire = Vec::new();
    conn.write_tls(&mut wire).unwrap();
    // One record: strip its header.
    wire.split_off(5)
}

#[test]
fn rustls_profile_is_what_the_engine_sends() {
    let theirs = rustls_hello();
    let p = profile("rustls");
    let ours = Fields::parse(&hello_of(&p)).unwrap();
    assert_same_shape(
        &ours,
        &Fields::parse(&theirs).unwrap(),
        "rustls vs engine",
        true,
    );
    assert_eq!(ja4(&theirs).unwrap(), p.ja4.unwrap());
}

fn by_name<'a>(p: &'a tlsdive::scan::Profile, name: &str) -> &'a senders::SenderResult {
    p.senders
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("{name} in {p:#?}"))
}

fn accepted(p: &tlsdive::scan::Profile) -> Vec<&str> {
    p.senders
        .iter()
        .filter(|s| s.accepted)
        .map(|s| s.name.as_str())
        .collect()
}

async fn senders_behind_front(
    args: &[&str],
) -> (
    tlsdive::scan::Profile,
    common::openssl::SServer,
    tlsdive::lab::FrontServer,
) {
    let backend = common::openssl::s_server(args).await;
    let front = tlsdive::lab::start_front(backend.addr, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let plan = tlsdive::scan::ScanPlan::new(common::plan_for(front.addr, false));
    let p = senders::run_senders(&plan, &senders::builtin(), |_| {}).await;
    assert_eq!(u64::from(p.connections), front.connections(), "{p:#?}");
    assert_eq!(p.senders.len(), 8, "{p:#?}");
    (p, backend, front)
}

/// Whether the real posttls-finger at `level` finishes a TLS handshake with `addr`.
async fn posttls_finger_gets_through(level: &'static str, addr: std::net::SocketAddr) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.cf"),
        format!("smtp_tls_security_level = {level}\n"),
    )
    .unwrap();
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        tokio::process::Command::new("posttls-finger")
            .env("MAIL_CONFIG", dir.path())
            // -T: the front's backend speaks no SMTP after TLS; the EHLO wait ends in 5 s.
            .args(["-c", "-T", "5", "-l", level])
            .arg(format!("[{}]:{}", addr.ip(), addr.port()))
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("posttls-finger ends")
    .expect("posttls-finger runs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// TLS 1.0 with a signed (ECDHE) key exchange: Postfix at `may` (OpenSSL level 0) and Exim
/// (GnuTLS NORMAL) get through, Postfix at `secure` fails on the MD5+SHA-1 signature — as
/// the real posttls-finger at each level does against the same server.
#[tokio::test]
async fn tls10_only_server_takes_postfix_may_and_exim_not_postfix_secure() {
    let spec = "ECDHE-RSA-AES128-SHA:@SECLEVEL=0";
    let (p, _backend, front) = senders_behind_front(&["-tls1", "-cipher", spec]).await;
    assert_eq!(accepted(&p), ["postfix", "exim"], "{p:#?}");
    let postfix = by_name(&p, "postfix");
    assert_eq!(postfix.version.as_deref(), Some("TLSv1.0"));
    for name in ["postfix-secure", "postfix-dane", "openssl35-pq"] {
        let s = by_name(&p, name);
        assert!(
            s.answer.starts_with("ServerHello TLSv1.0")
                && s.blocked
                    .as_deref()
                    .is_some_and(|b| b.contains("MD5+SHA-1")),
            "{name}: {s:?}"
        );
    }
    for name in ["exchange-online", "gmail", "rustls"] {
        let s = by_name(&p, name);
        assert!(s.answer.starts_with("alert "), "{name}: {s:?}");
    }
    assert!(
        p.verdict.starts_with("postfix, exim get through; postfix-secure, postfix-dane, openssl35-pq, exchange-online, gmail, rustls cannot"),
        "{}",
        p.verdict
    );
    if postfix_as_captured().is_ok() {
        let may = posttls_finger_gets_through("may", front.addr).await;
        assert!(may.contains("TLS connection established"), "{may}");
        let secure = posttls_finger_gets_through("secure", front.addr).await;
        assert!(!secure.contains("TLS connection established"), "{secure}");
        assert!(secure.contains("legacy sigalg"), "{secure}");
    }
}

#[tokio::test]
async fn rsa_key_exchange_only_server_refuses_exchange_online_and_rustls() {
    let spec = "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA";
    let (p, _backend, _front) = senders_behind_front(&["-no_tls1_3", "-cipher", spec]).await;
    assert_eq!(
        accepted(&p),
        [
            "postfix",
            "postfix-secure",
            "postfix-dane",
            "openssl35-pq",
            "exim",
            "gmail"
        ],
        "{p:#?}"
    );
    let postfix = by_name(&p, "postfix");
    assert_eq!(postfix.version.as_deref(), Some("TLSv1.2"));
    let suite = postfix.cipher_suite.as_deref().unwrap_or_default();
    assert!(suite.starts_with("TLS_RSA_WITH_"), "{suite}");
    assert_eq!(postfix.group, None, "RSA key exchange has no group");
    for name in ["exchange-online", "rustls"] {
        let s = by_name(&p, name);
        assert!(
            !s.accepted && s.answer.starts_with("alert "),
            "{name}: {s:?}"
        );
    }
}

#[tokio::test]
async fn a_path_dropping_large_hellos_stops_the_post_quantum_senders() {
    let srv = common::server(tlsdive::lab::Scenario::DropsLargeHello).await;
    let mut plan = tlsdive::scan::ScanPlan::new(common::plan_for(srv.addr, false));
    plan.plan.timeouts.reply = std::time::Duration::from_millis(500);
    let p = senders::run_senders(&plan, &senders::builtin(), |_| {}).await;
    let postfix = by_name(&p, "postfix");
    assert!(postfix.accepted, "{postfix:?}");
    assert_eq!(postfix.version.as_deref(), Some("TLSv1.3"));
    assert!(postfix.hello_bytes < tlsdive::lab::LARGE_HELLO);
    for name in ["openssl35-pq", "rustls"] {
        let s = by_name(&p, name);
        assert!(!s.accepted, "{name}: {s:?}");
        assert_eq!(s.answer, "timeout", "{name}");
        assert!(s.hello_bytes > tlsdive::lab::LARGE_HELLO, "{name}: {s:?}");
    }
    assert_eq!(
        accepted(&p),
        [
            "postfix",
            "postfix-secure",
            "postfix-dane",
            "exim",
            "exchange-online",
            "gmail"
        ],
        "{p:#?}"
    );
}

#[tokio::test]
async fn a_user_profile_file_is_sent_too_and_a_bad_one_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old-relay.toml");
    std::fs::write(
        &file,
        r#"name = "old-relay"
summary = "a TLS 1.2 relay offering one RSA suite"
sources = ["our relay's s_client -trace"]
legacy_version = 0x0303
cipher_suites = [0x002f]
extensions = []
"#,
    )
    .unwrap();
    let p = senders::load_file(&file).unwrap();
    let srv = common::server(tlsdive::lab::Scenario::Healthy).await;
    let plan = tlsdive::scan::ScanPlan::new(common::plan_for(srv.addr, false));
    let out = senders::run_senders(&plan, &[p], |_| {}).await;
    let r = by_name(&out, "old-relay");
    // rustls serves no RSA key exchange: the server says so with an alert.
    assert!(!r.accepted && r.answer.starts_with("alert "), "{r:?}");
    std::fs::write(&file, "name = \"x\"\nsummary = \"\"\nsources = [\"s\"]\ncipher_suites = [1]\nextensions = [\"key_share\"]\nkey_shares = [29]\n").unwrap();
    let e = senders::load_file(&file).unwrap_err().to_string();
    assert!(e.contains("supported_groups"), "{e}");
}
