//! `triage --tlsrpt` against the signed policy lab (loopback only, `--resolver` to the lab
//! DNS): reports shaped like those Google, Microsoft and others mail (multi-policy, several
//! failure details, gzip, a mail attachment, an mbox), each group judged again now —
//! "then / now / fix" — and hostile report files that are named and skipped while the
//! others are still read.

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine;
use common::{fixture, server};
use tlsdive::lab::policy_lab::{self, PolicyLab};
use tlsdive::lab::{LabServer, Scenario};

struct Lab {
    policy: PolicyLab,
    _smtp: LabServer,
    dir: tempfile::TempDir,
    anchor: PathBuf,
    ca: PathBuf,
}

async fn lab() -> Lab {
    let smtp = server(Scenario::Healthy).await;
    let policy = policy_lab::start(&fixture().pki, smtp.addr.port())
        .await
        .expect("policy lab");
    let dir = tempfile::tempdir().unwrap();
    let anchor = dir.path().join("root.key");
    std::fs::write(&anchor, &policy.anchor).unwrap();
    let ca = dir.path().join("cas.pem");
    let pems = format!("{}{}", fixture().pki.ca_pem(), policy.sts.ca_pem);
    std::fs::write(&ca, pems).unwrap();
    Lab {
        policy,
        _smtp: smtp,
        dir,
        anchor,
        ca,
    }
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Lab {
    /// `triage --tlsrpt` on `files`, probing port `port`, with `extra` arguments.
    async fn triage(&self, port: u16, extra: &[&str], files: &[&Path]) -> Out {
        run(self.triage_args(port, extra, files)).await
    }

    /// The arguments of [`Lab::triage`].
    fn triage_args(&self, port: u16, extra: &[&str], files: &[&Path]) -> Vec<String> {
        let mut args = vec!["triage".to_string(), "--tlsrpt".to_string()];
        args.extend(self.lab_args(port));
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend(files.iter().map(|p| p.to_str().unwrap().to_string()));
        args
    }

    /// `probe DOMAIN` on port `port` against the same lab, with `extra` arguments.
    async fn probe(&self, port: u16, domain: &str, extra: &[&str]) -> Out {
        let mut args = vec!["probe".to_string(), domain.to_string()];
        args.extend(self.lab_args(port));
        args.extend(extra.iter().map(|s| s.to_string()));
        run(args).await
    }

    /// What points a command at this lab: its DNS and trust anchor, CA, policy host and
    /// port `port`, with short timeouts.
    fn lab_args(&self, port: u16) -> Vec<String> {
        [
            "--resolver",
            &self.policy.dns.addr.to_string(),
            "--trust-anchor",
            self.anchor.to_str().unwrap(),
            "--ca-file",
            self.ca.to_str().unwrap(),
            "--mta-sts-port",
            &self.policy.sts.addr.port().to_string(),
            "--port",
            &port.to_string(),
            "--timeout",
            "5s",
            "--connect-timeout",
            "5s",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

/// One failure detail: result type, sending MTA, receiving MX and address, sessions.
type Detail<'a> = (&'a str, &'a str, &'a str, &'a str, u64);

fn policy(kind: &str, domain: &str, mx: &[&str], ok: u64, details: &[Detail]) -> serde_json::Value {
    let failed: u64 = details.iter().map(|d| d.4).sum();
    let details: Vec<serde_json::Value> = details
        .iter()
        .map(|(rt, from, mx, ip, n)| {
            serde_json::json!({
                "result-type": rt,
                "sending-mta-ip": from,
                "receiving-mx-hostname": mx,
                "receiving-ip": ip,
                "failed-session-count": n,
            })
        })
        .collect();
    let mut p = serde_json::json!({
        "policy": {
            "policy-type": kind,
            "policy-domain": domain,
        },
        "summary": {
            "total-successful-session-count": ok,
            "total-failure-session-count": failed,
        },
        "failure-details": details,
    });
    if !mx.is_empty() {
        p["policy"]["mx-host"] = serde_json::json!(mx);
        p["policy"]["policy-string"] = serde_json::json!(["version: STSv1", "mode: enforce"]);
    }
    p
}

fn report(org: &str, contact: &str, day: &str, policies: Vec<serde_json::Value>) -> String {
    serde_json::json!({
        "organization-name": org,
        "date-range": {
            "start-datetime": format!("{day}T00:00:00Z"),
            "end-datetime": format!("{day}T23:59:59Z"),
        },
        "contact-info": contact,
        "report-id": format!("{day}T00:00:00Z_{org}"),
        "policies": policies,
    })
    .to_string()
}

/// Run the binary with `args` (no key log), and take its output.
async fn run(args: Vec<String>) -> Out {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_tlsdive"))
        .args(&args)
        .env_remove("SSLKEYLOGFILE")
        .output()
        .await
        .expect("run tlsdive");
    Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// A report mail as Google and Microsoft send it: multipart/report, the report a base64
/// `application/tlsrpt+gzip` attachment.
fn mail(from: &str, domain: &str, json: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(gz(json.as_bytes()));
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "From: {from}\r\n\
         To: tls-reports@{domain}\r\n\
         Subject: Report Domain: {domain} Submitter: {from} Report-ID: <r1@{domain}>\r\n\
         TLS-Report-Domain: {domain}\r\n\
         TLS-Report-Submitter: {from}\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain\r\n\r\nThis is an aggregate TLS report.\r\n\
         --b1\r\nContent-Type: application/tlsrpt+gzip\r\n\
         Content-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"report!{domain}!1!2.json.gz\"\r\n\r\n\
         {}\r\n--b1--\r\n",
        lines.join("\r\n")
    )
}

fn records(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

const MX: &str = "mx.lab.tlsdive.test";

/// Google's multi-policy report: a stale TLSA (still failing) and an MTA-STS failure the
/// domain has fixed since. `--domain` picks one; the other is named, not probed.
#[tokio::test]
async fn a_stale_tlsa_still_fails_and_a_fixed_mta_sts_policy_is_fixed_since() {
    let l = lab().await;
    let dane = policy_lab::domain("dane-mismatch");
    let sts = policy_lab::domain("sts-enforce");
    let json = report(
        "Google Inc.",
        "smtp-tls-reporting@google.com",
        "2026-11-30",
        vec![
            policy(
                "tlsa",
                &dane,
                &[],
                40,
                &[
                    ("tlsa-invalid", "209.85.220.41", MX, "127.0.0.1", 5),
                    ("tlsa-invalid", "209.85.220.69", MX, "127.0.0.1", 7),
                ],
            ),
            policy(
                "sts",
                &sts,
                &[MX],
                90,
                &[(
                    "certificate-host-mismatch",
                    "209.85.220.41",
                    MX,
                    "127.0.0.1",
                    3,
                )],
            ),
        ],
    );
    let file = l.write(
        "google.com!lab!1764460800!1764547199.json.gz",
        &gz(json.as_bytes()),
    );

    let now = l
        .triage(
            l.policy.port_for("dane-mismatch"),
            &["--domain", &dane, "--jsonl"],
            &[&file],
        )
        .await;
    let recs = records(&now.stdout);
    assert_eq!(recs.len(), 1, "{}\n{}", now.stdout, now.stderr);
    let r = &recs[0];
    assert_eq!(r["policy_domain"], dane.as_str());
    assert_eq!(r["policy_type"], "tlsa");
    assert_eq!(r["receiving_mx"], MX);
    assert_eq!(r["result_type"], "tlsa-invalid");
    assert_eq!(r["organization"], "Google Inc.");
    assert_eq!(r["sender_profile"], "gmail");
    assert_eq!(r["failed_sessions"], 12);
    assert_eq!(r["date_from"], "2026-11-30T00:00:00Z");
    assert_eq!(r["date_to"], "2026-11-30T23:59:59Z");
    assert_eq!(r["still_failing"], true, "{r}");
    assert_eq!(r["cause_now"], "dane-mismatch", "{r}");
    assert_eq!(r["result_type_now"], "tlsa-invalid");
    assert!(
        r["fix"]
            .as_str()
            .is_some_and(|f| f.starts_with("publish a TLSA record for the certificate")),
        "{r}"
    );
    // Re-probed as the reporter: Gmail's own ClientHello went to the MX it reported on.
    assert_eq!(r["probe_profile"], "gmail", "{r}");
    assert!(
        r["profile_answer"]
            .as_str()
            .is_some_and(|a| a.starts_with("accepted: TLSv1.")),
        "{r}"
    );
    assert!(
        now.stderr
            .contains(&format!("the reports also cover {sts}: not probed")),
        "{}",
        now.stderr
    );
    assert_eq!(now.code, Some(1));
    // The probe names the same fix for the same cause: one wording in `diagnose`.
    let probe = l
        .probe(l.policy.port_for("dane-mismatch"), &dane, &["--json"])
        .await;
    let v: serde_json::Value = serde_json::from_str(&probe.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", probe.stdout, probe.stderr));
    assert_eq!(v["outcome"]["cause"], "dane-mismatch", "{v}");
    assert_eq!(v["outcome"]["next_steps"][0], r["fix"], "{v}");
    let text = l
        .probe(l.policy.port_for("dane-mismatch"), &dane, &[])
        .await;
    let fix = r["fix"].as_str().unwrap();
    assert!(text.stdout.contains(fix), "{}", text.stdout);

    let fixed = l
        .triage(
            l.policy.port_for("sts-enforce"),
            &["--domain", &sts],
            &[&file],
        )
        .await;
    let t = &fixed.stdout;
    assert!(
        t.starts_with("1 failure group from the reports: 0 still failing, 1 fixed since\n"),
        "{t}\n{}",
        fixed.stderr
    );
    assert!(
        t.contains(&format!(
            "\n{sts} policy sts MX {MX} [127.0.0.1]: fixed since\n"
        )),
        "{t}"
    );
    assert!(
        t.contains(
            "  then: Google Inc. reported certificate-host-mismatch for 3 failed sessions \
             (2026-11-30T00:00:00Z to 2026-11-30T23:59:59Z) (tlsdive profile: gmail)\n"
        ),
        "{t}"
    );
    assert!(t.contains("  now:  ok: "), "{t}");
    assert!(t.contains("an MTA-STS sender delivers"), "{t}");
    assert!(!t.contains("  fix:"), "nothing to fix: {t}");
    assert_eq!(fixed.code, Some(0));
}

/// Microsoft's report mail (gzip attachment): MTA-STS senders met an expired certificate,
/// and still do (the lab's expired-cert server behind the sts-enforce MX).
#[tokio::test]
async fn an_expired_certificate_still_fails_from_a_report_mail() {
    let l = lab().await;
    let expired = server(Scenario::ExpiredCert).await;
    let sts = policy_lab::domain("sts-enforce");
    let json = report(
        "Microsoft Corporation",
        "tlsrpt-noreply@microsoft.com",
        "2026-12-01",
        vec![policy(
            "sts",
            &sts,
            &[MX],
            0,
            &[
                ("certificate-expired", "40.107.1.1", MX, "127.0.0.1", 6),
                ("certificate-expired", "40.107.1.2", MX, "127.0.0.1", 3),
            ],
        )],
    );
    let file = l.write(
        "microsoft.eml",
        mail("tlsrpt-noreply@microsoft.com", &sts, &json).as_bytes(),
    );
    let out = l.triage(expired.addr.port(), &["--jsonl"], &[&file]).await;
    let recs = records(&out.stdout);
    assert_eq!(recs.len(), 1, "{}\n{}", out.stdout, out.stderr);
    let r = &recs[0];
    assert_eq!(r["policy_type"], "sts");
    assert_eq!(r["result_type"], "certificate-expired");
    assert_eq!(r["organization"], "Microsoft Corporation");
    assert_eq!(r["sender_profile"], "exchange-online");
    assert_eq!(r["failed_sessions"], 9);
    assert_eq!(r["still_failing"], true, "{r}");
    // tlsdive's cause is the policy's (as `probe` says it); in TLS-RPT's words, and in the
    // MTA-STS sender's report now, the certificate's own defect (not sts-webpki-invalid,
    // which is the policy's HTTPS certificate).
    assert_eq!(r["cause_now"], "mta-sts-cert-invalid", "{r}");
    assert_eq!(r["result_type_now"], "certificate-expired");
    assert_eq!(r["sender_result_type_now"], "certificate-expired", "{r}");
    assert!(
        r["sender_now"]
            .as_str()
            .is_some_and(|s| s.ends_with("it would report certificate-expired under sts")),
        "{r}"
    );
    assert!(
        r["fix"]
            .as_str()
            .is_some_and(|f| f.starts_with("renew the certificate")),
        "{r}"
    );
    assert_eq!(out.code, Some(1));
}

/// MTA-STS in testing mode, the MX not listed: senders deliver, and still report every
/// session as failed. The group is joined to the MTA-STS sender row that would write the
/// same line now (policy type and result type), so it is still failing although that
/// sender delivers; and what the sender would write now is in the record to join on.
#[tokio::test]
async fn a_testing_mode_policy_still_reported_is_still_failing() {
    let l = lab().await;
    let sts = policy_lab::domain("sts-testing");
    let json = report(
        "Google Inc.",
        "smtp-tls-reporting@google.com",
        "2026-12-01",
        vec![policy(
            "sts",
            &sts,
            &[MX],
            0,
            &[("validation-failure", "209.85.220.41", MX, "127.0.0.1", 8)],
        )],
    );
    let file = l.write("google-testing.json", json.as_bytes());
    let out = l
        .triage(l.policy.port_for("sts-testing"), &["--jsonl"], &[&file])
        .await;
    let recs = records(&out.stdout);
    assert_eq!(recs.len(), 1, "{}\n{}", out.stdout, out.stderr);
    let r = &recs[0];
    assert_eq!(r["still_failing"], true, "{r}");
    assert_eq!(r["sender_result_type_now"], "validation-failure", "{r}");
    // "Now" names what the report is about (not "ok"): the MX outside the policy, and the
    // fix that ends the reports.
    assert_eq!(r["cause_now"], "mta-sts-mx-mismatch", "{r}");
    assert_eq!(r["result_type_now"], "validation-failure", "{r}");
    assert!(
        r["fix"]
            .as_str()
            .is_some_and(|f| f.starts_with("list every MX host in the MTA-STS policy")),
        "{r}"
    );
    assert!(
        r["sender_now"]
            .as_str()
            .is_some_and(|s| s.starts_with("an MTA-STS sender delivers")
                && s.ends_with("it would report validation-failure under sts")),
        "{r}"
    );
    assert_eq!(out.code, Some(1));
}

/// Microsoft reported failures for an MX that tlsdive's own client gets through: a real
/// OpenSSL server (behind the lab's STARTTLS front, the lab's certificate, the whole SMTP
/// dialogue) that takes TLS 1.3 with ChaCha20 only, which rustls offers and Exchange
/// Online's hello does not. The MTA-STS sender row delivers, but the reporter's own hello
/// is refused: the group stays still failing, and says which hello and why.
#[tokio::test]
async fn the_reporters_own_hello_refused_keeps_the_group_failing() {
    let l = lab().await;
    let backend = common::openssl_smtp::s_server_smtp(&[
        "-tls1_3",
        "-ciphersuites",
        "TLS_CHACHA20_POLY1305_SHA256",
    ])
    .await;
    let front = tlsdive::lab::start_front(backend.addr, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let sts = policy_lab::domain("sts-enforce");
    let json = report(
        "Microsoft Corporation",
        "tlsrpt-noreply@microsoft.com",
        "2026-12-01",
        vec![policy(
            "sts",
            &sts,
            &[MX],
            0,
            &[("validation-failure", "40.107.1.1", MX, "127.0.0.1", 11)],
        )],
    );
    let file = l.write("microsoft-chacha.json", json.as_bytes());
    let out = l.triage(front.addr.port(), &["--jsonl"], &[&file]).await;
    let recs = records(&out.stdout);
    assert_eq!(recs.len(), 1, "{}\n{}", out.stdout, out.stderr);
    let r = &recs[0];
    // tlsdive's own client: the whole dialogue, the certificate valid for the policy; but
    // "now" is what the reporter's hello met: a suite it does not offer.
    assert_eq!(r["cause_now"], "no-shared-cipher", "{r}");
    assert!(
        r["sender_now"]
            .as_str()
            .is_some_and(|s| s.starts_with("an MTA-STS sender delivers")),
        "{r}"
    );
    assert_eq!(r["sender_result_type_now"], serde_json::Value::Null, "{r}");
    // The reporter's own hello: refused, and why.
    assert_eq!(r["probe_profile"], "exchange-online", "{r}");
    let answer = r["profile_answer"].as_str().unwrap_or_default();
    assert!(answer.starts_with("refused: alert "), "{r}");
    assert_eq!(r["still_failing"], true, "{r}");
    let summary = r["summary_now"].as_str().unwrap_or_default();
    assert!(
        summary.contains(&format!(
            "; but exchange-online's own ClientHello does not get through at {MX} \
             [127.0.0.1:{}] ({answer}): tlsdive's own client got cipher suite \
             TLS_CHACHA20_POLY1305_SHA256, which exchange-online does not offer",
            front.addr.port()
        )),
        "{r}"
    );
    assert!(
        r["fix"]
            .as_str()
            .is_some_and(|f| f.starts_with("accept what exchange-online offers")),
        "{r}"
    );
    assert_eq!(out.code, Some(1));

    // The same MX for Google: Gmail's hello offers ChaCha20, and the failure is gone.
    let json = json.replace("Microsoft Corporation", "Google Inc.");
    let file = l.write("google-chacha.json", json.as_bytes());
    let out = l.triage(front.addr.port(), &["--jsonl"], &[&file]).await;
    let recs = records(&out.stdout);
    assert_eq!(recs.len(), 1, "{}\n{}", out.stdout, out.stderr);
    let r = &recs[0];
    assert_eq!(r["probe_profile"], "gmail", "{r}");
    assert!(
        r["profile_answer"]
            .as_str()
            .is_some_and(|a| a.starts_with("accepted: TLSv1.3 TLS_CHACHA20_POLY1305_SHA256")),
        "{r}"
    );
    assert_eq!(r["still_failing"], false, "{r}");
    assert_eq!(out.code, Some(0));
}

/// An mbox of report mails (and one mail that holds no report): a sender with no policy
/// found STARTTLS missing, and it still is.
#[tokio::test]
async fn starttls_not_offered_still_fails_from_an_mbox() {
    let l = lab().await;
    let plain = server(Scenario::NoStarttls).await;
    let domain = policy_lab::domain("unsigned");
    let mx = format!("mx.{domain}");
    let json = report(
        "comcast.net",
        "tlsrpt@comcast.net",
        "2026-12-01",
        vec![policy(
            "no-policy-found",
            &domain,
            &[],
            0,
            &[(
                "starttls-not-supported",
                "96.114.154.1",
                &mx,
                "127.0.0.1",
                4,
            )],
        )],
    );
    let mbox = format!(
        "From tlsrpt@comcast.net Tue Dec  2 00:00:00 2026\n{}\n\
         From someone@example.com Tue Dec  2 00:00:01 2026\n\
         From: someone@example.com\nSubject: hello\n\nno report in here\n",
        mail("tlsrpt@comcast.net", &domain, &json).replace("\r\n", "\n")
    );
    let file = l.write("reports.mbox", mbox.as_bytes());
    let out = l.triage(plain.addr.port(), &[], &[&file]).await;
    let t = &out.stdout;
    assert!(
        t.contains(&format!(
            "\n{domain} policy no-policy-found MX {mx} [127.0.0.1]: STILL FAILING\n"
        )),
        "{t}\n{}",
        out.stderr
    );
    assert!(
        t.contains("  then: comcast.net reported starttls-not-supported for 4 failed sessions"),
        "{t}"
    );
    assert!(
        t.contains("  now:  starttls-not-offered [starttls-not-supported]: "),
        "{t}"
    );
    // The fix is the diagnosis' first next step.
    assert!(
        t.contains("\n  fix:  retry with implicit TLS on port 465"),
        "{t}"
    );
    assert!(
        out.stderr
            .contains("a mail message with no TLS report attached"),
        "{}",
        out.stderr
    );
    assert_eq!(out.code, Some(1));
}

/// Hostile files in a folder: each is named with a clear message, the good report beside
/// them is still read and judged, control characters are escaped, a report for another
/// domain is named and not probed, and only the asked domain's MX set is probed.
#[tokio::test]
async fn hostile_report_files_are_named_and_the_others_still_processed() {
    let l = lab().await;
    let sts = policy_lab::domain("sts-enforce");
    let good = report(
        "Evil\u{7}Org \u{1b}[31mred\n  then: all good",
        "x@example.com",
        "2026-12-01",
        vec![policy(
            "sts",
            &sts,
            &[MX],
            1,
            &[(
                "validation-failure",
                "192.0.2.1",
                "mx\u{1b}]0;owned\u{7}.lab.tlsdive.test",
                "127.0.0.1",
                2,
            )],
        )],
    );
    let other = report(
        "Other Sender",
        "y@example.com",
        "2026-12-01",
        vec![policy(
            "sts",
            "elsewhere.example",
            &["mx.elsewhere.example"],
            0,
            &[(
                "certificate-expired",
                "192.0.2.2",
                "mx.elsewhere.example",
                "192.0.2.9",
                5,
            )],
        )],
    );
    let json = report(
        "Google Inc.",
        "a@example.com",
        "2026-12-01",
        vec![policy("sts", &sts, &[MX], 1, &[])],
    );
    let mut truncated = gz(json.as_bytes());
    truncated.truncate(truncated.len() / 2);
    let bomb = gz(&vec![b' '; 64 * 1024 * 1024]);
    let dir = l.dir.path().join("inbox");
    l.write("inbox/a-good.json", good.as_bytes());
    l.write("inbox/b-other.json", other.as_bytes());
    l.write("inbox/c-not-json.txt", b"hello, this is no report\n");
    l.write(
        "inbox/d-not-rfc8460.json",
        br#"{"feedback": {"report_metadata": {}}}"#,
    );
    l.write("inbox/e-truncated.json.gz", &truncated);
    l.write("inbox/f-bomb.json.gz", &bomb);
    let huge = l.write("inbox/g-huge.json", b"");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&huge)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let out = l
        .triage(
            l.policy.port_for("sts-enforce"),
            &["--domain", &sts],
            &[&dir],
        )
        .await;
    let (t, e) = (&out.stdout, &out.stderr);
    for (file, words) in [
        (
            "c-not-json.txt",
            "not JSON, gzip, a mail message or an mbox",
        ),
        ("d-not-rfc8460.json", "not an RFC 8460 report"),
        ("e-truncated.json.gz", "broken or truncated gzip"),
        ("f-bomb.json.gz", "decompresses to more than"),
        ("g-huge.json", "g-huge.json"),
    ] {
        assert!(
            e.lines()
                .any(|line| line.contains(file) && line.contains(words)),
            "{file}: {words}: {e}"
        );
    }
    assert!(
        e.contains("the reports also cover elsewhere.example: not probed"),
        "{e}"
    );
    assert!(
        !t.contains('\u{1b}') && !t.contains('\u{7}'),
        "raw controls: {t:?}"
    );
    assert!(
        !e.contains('\u{1b}') && !e.contains('\u{7}'),
        "raw controls: {e:?}"
    );
    assert!(t.contains("Evil\\x07Org \\e[31mred"), "{t}");
    // A line break in a report's field is escaped: it cannot print a line of its own.
    assert!(t.contains("red\\x0a  then: all good"), "{t}");
    assert!(
        !t.lines()
            .any(|l| l.trim_start().starts_with("then: all good")),
        "{t}"
    );
    assert!(t.contains("MX mx\\e]0;owned\\x07.lab.tlsdive.test"), "{t}");
    assert!(t.contains(": fixed since\n"), "{t}");
    let probed: Vec<&str> = t.lines().filter(|l| l.contains("probed: ")).collect();
    assert!(!probed.is_empty(), "{t}");
    for p in probed {
        assert!(!p.contains("elsewhere") && !p.contains("192.0.2."), "{p}");
    }
    assert_eq!(out.code, Some(0), "{t}\n{e}");
}

/// A `--domain` no report names (a typo) is an error, not "no failure to probe" with
/// exit 0: the reports do hold failures, for other domains.
#[tokio::test]
async fn a_domain_the_reports_never_name_is_an_error() {
    let l = lab().await;
    let sts = policy_lab::domain("sts-enforce");
    let json = report(
        "Google Inc.",
        "a@example.com",
        "2026-12-01",
        vec![policy(
            "sts",
            &sts,
            &[MX],
            1,
            &[("certificate-expired", "192.0.2.1", MX, "127.0.0.1", 2)],
        )],
    );
    let file = l.write("typo.json", json.as_bytes());
    let typo = policy_lab::domain("sts-enforse");
    let out = l
        .triage(
            l.policy.port_for("sts-enforce"),
            &["--domain", &typo],
            &[&file],
        )
        .await;
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "--domain {typo}: no report names this policy domain (they cover {sts})"
        )),
        "{}",
        out.stderr
    );
    assert!(
        !out.stdout.contains("no failure to probe"),
        "{}",
        out.stdout
    );
}

/// Google reported sts-webpki-invalid: the MX is fine, the MTA-STS policy host's
/// certificate does not name it. Still failing, and "now" says so (the policy's cause and
/// result type, the fix for the policy host), not "ok" with no fix.
#[tokio::test]
async fn a_policy_host_certificate_still_refused_is_still_failing_with_its_fix() {
    let l = lab().await;
    let webpki = policy_lab::domain("sts-webpki");
    let json = report(
        "Google Inc.",
        "smtp-tls-reporting@google.com",
        "2026-12-01",
        vec![policy(
            "sts",
            &webpki,
            &[MX],
            0,
            &[("sts-webpki-invalid", "209.85.220.41", MX, "127.0.0.1", 9)],
        )],
    );
    let file = l.write("webpki.json", json.as_bytes());
    let out = l
        .triage(
            l.policy.port_for("sts-webpki"),
            &["--domain", &webpki, "--jsonl"],
            &[&file],
        )
        .await;
    let recs = records(&out.stdout);
    assert_eq!(recs.len(), 1, "{}\n{}", out.stdout, out.stderr);
    let r = &recs[0];
    assert_eq!(r["still_failing"], true, "{r}");
    assert_eq!(r["cause_now"], "mta-sts-policy-unavailable", "{r}");
    assert_eq!(r["result_type_now"], "sts-webpki-invalid", "{r}");
    assert_eq!(r["sender_result_type_now"], "sts-webpki-invalid", "{r}");
    let summary = r["summary_now"].as_str().unwrap_or_default();
    assert!(
        summary.contains("(the MX itself: STARTTLS works"),
        "{summary}"
    );
    let fix = r["fix"].as_str().unwrap_or_default();
    assert!(
        fix.starts_with(&format!("serve https://mta-sts.{webpki}:"))
            && fix.contains("with a certificate valid for its host name"),
        "{r}"
    );
    assert_eq!(out.code, Some(1));
}

/// A Maildir (cur/ and new/) is read whole; with no report in it at all, the run says so
/// and does not claim success.
#[tokio::test]
async fn a_maildir_is_read_and_nothing_readable_is_not_success() {
    let l = lab().await;
    let sts = policy_lab::domain("sts-enforce");
    let json = report(
        "Google Inc.",
        "a@example.com",
        "2026-12-01",
        vec![policy(
            "sts",
            &sts,
            &[MX],
            5,
            &[("sts-policy-fetch-error", "192.0.2.1", MX, "127.0.0.1", 1)],
        )],
    );
    l.write("md/cur/1.host:2,S", mail("google", &sts, &json).as_bytes());
    l.write("md/new/2.host", mail("google", &sts, &json).as_bytes());
    let md = l.dir.path().join("md");
    // A Maildir's tmp/ holds mails being delivered: not read.
    std::fs::create_dir_all(md.join("tmp")).unwrap();
    std::fs::write(md.join("tmp").join("ignored"), b"not read").unwrap();
    let out = l
        .triage(l.policy.port_for("sts-enforce"), &["--jsonl"], &[&md])
        .await;
    let recs = records(&out.stdout);
    assert_eq!(recs.len(), 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(recs[0]["reports"], 2);
    assert_eq!(recs[0]["still_failing"], false);
    assert_eq!(out.code, Some(0), "{}", out.stderr);

    let junk = l.write("junk.txt", b"nothing\n");
    let out = l.triage(25, &[], &[&junk]).await;
    assert!(out.stderr.contains("not JSON, gzip"), "{}", out.stderr);
    assert_eq!(out.code, Some(1));
}

/// A plan for policy-lab domain `label` on `port`, as `triage --tlsrpt` builds it from its
/// options.
fn lab_plan(l: &Lab, label: &str, port: u16) -> tlsdive::plan::Plan {
    use tlsdive::plan::{Family, Plan, Target, Trust};
    let mut plan = Plan::new(Target::Domain(policy_lab::domain(label)));
    plan.resolver = Some(l.policy.dns.addr);
    plan.port = port;
    plan.family = Family::V4;
    plan.ehlo = "probe.tlsdive.test".into();
    let pems = format!("{}{}", fixture().pki.ca_pem(), l.policy.sts.ca_pem);
    plan.tls.trust = Trust::from_pem("the lab CAs", &pems);
    plan.policy.mta_sts_port = Some(l.policy.sts.addr.port());
    plan.policy.trust_anchor = Some(l.policy.anchor.clone());
    plan.timeouts.connect = std::time::Duration::from_secs(5);
    plan.timeouts.reply = std::time::Duration::from_secs(5);
    plan
}

/// The groups of `json`, one list per policy domain in `domains`' order.
fn groups_of(json: &str, domains: &[&str]) -> Vec<Vec<tlsdive::tlsrpt::Group>> {
    let reports: Vec<_> =
        tlsdive::tlsrpt::reports_in(json.as_bytes(), &tlsdive::tlsrpt::Limits::default())
            .into_iter()
            .map(|r| r.expect("a report"))
            .collect();
    let (groups, _) = tlsdive::tlsrpt::group(&reports, None);
    domains
        .iter()
        .map(|d| {
            groups
                .iter()
                .filter(|g| g.key.policy_domain == *d)
                .cloned()
                .collect()
        })
        .collect()
}

/// Two policy domains are swept at once, not one after the other: the second domain's MX
/// gets its connection while the first one's is held open without a banner (sequentially,
/// the first would be judged, after its timeout, before the second was touched). Findings
/// still come in the domains' order.
#[tokio::test]
async fn policy_domains_are_swept_at_once_and_judged_in_order() {
    let l = lab().await;
    let first = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (a, b) = (
        policy_lab::domain("unsigned"),
        policy_lab::domain("sts-enforce"),
    );
    let json = report(
        "comcast.net",
        "tlsrpt@comcast.net",
        "2026-12-01",
        vec![
            policy(
                "no-policy-found",
                &a,
                &[],
                0,
                &[("starttls-not-supported", "96.114.154.1", MX, "127.0.0.1", 1)],
            ),
            policy(
                "sts",
                &b,
                &[MX],
                0,
                &[("validation-failure", "96.114.154.1", MX, "127.0.0.1", 1)],
            ),
        ],
    );
    let groups = groups_of(&json, &[&a, &b]);
    let plans = vec![
        lab_plan(&l, "unsigned", first.local_addr().unwrap().port()),
        lab_plan(&l, "sts-enforce", second.local_addr().unwrap().port()),
    ];
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let run = tokio::spawn(async move {
        let judged = tx.clone();
        tlsdive::cli::drive::triage::judge_groups(
            plans,
            &groups,
            |_| {},
            |_, f| {
                let _ = judged.send(f.policy_domain.clone());
            },
            |d, e| panic!("{d}: {e}"),
        )
        .await;
    });
    // The first domain's MX is reached and held silent.
    let (held, _) = first.accept().await.unwrap();
    let reached = tokio::select! {
        biased;
        s = second.accept() => s.map(|(c, _)| c),
        judged = rx.recv() => panic!("{judged:?} was judged before the second domain was swept"),
    };
    let other = reached.unwrap();
    drop(other);
    drop(held);
    run.await.unwrap();
    let mut order = Vec::new();
    while let Ok(d) = rx.try_recv() {
        order.push(d);
    }
    assert_eq!(order, [a, b]);
}

/// `triage --tlsrpt`'s live table (as the terminal shows it, on `TestBackend`) at 80×24 and
/// 160×48: one row per report group — MX, then (result type), now (still failing or fixed),
/// tlsdive's cause — with the selected group in full below: then, now, fix and what the
/// reporter's own ClientHello got. `Enter` opens the group's MX with the plan it was judged
/// on, and an attempt made there is carried back, judged with the domain's policy.
#[tokio::test]
async fn the_live_table_shows_each_group_then_and_now_and_takes_the_drill_down_back() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use tlsdive::tui::keymap::Key;
    use tlsdive::tui::triage_table::{Action, Table};
    let l = lab().await;
    let dane = policy_lab::domain("dane-mismatch");
    let sts = policy_lab::domain("sts-enforce");
    let google = report(
        "Google Inc.",
        "smtp-tls-reporting@google.com",
        "2026-11-30",
        vec![policy(
            "tlsa",
            &dane,
            &[],
            40,
            &[("tlsa-invalid", "209.85.220.41", MX, "127.0.0.1", 12)],
        )],
    );
    let microsoft = report(
        "Microsoft Corporation",
        "tlsrpt-noreply@microsoft.com",
        "2026-11-30",
        vec![policy(
            "sts",
            &sts,
            &[MX],
            90,
            &[(
                "certificate-host-mismatch",
                "40.107.1.1",
                MX,
                "127.0.0.1",
                3,
            )],
        )],
    );
    let mut groups = groups_of(&google, &[&dane]);
    groups.extend(groups_of(&microsoft, &[&sts]));
    let plans = vec![
        lab_plan(&l, "dane-mismatch", l.policy.port_for("dane-mismatch")),
        lab_plan(&l, "sts-enforce", l.policy.port_for("sts-enforce")),
    ];
    let mut t = Table::for_reports(false, 2, 0);
    let msgs = std::cell::RefCell::new(Vec::new());
    tlsdive::tui::triage_live::judge_groups_into(
        plans,
        &groups,
        |m| msgs.borrow_mut().push(m),
        |d, e| panic!("{d}: {e}"),
    )
    .await;
    for m in msgs.into_inner() {
        t.apply(m);
    }
    let findings = t.findings();
    assert_eq!(findings.len(), 2);
    assert!(findings[0].still_failing && findings[0].cause_now == "dane-mismatch");
    assert_eq!(findings[0].probe_profile.as_deref(), Some("gmail"));
    assert!(!findings[1].still_failing, "{:?}", findings[1]);
    assert_eq!(
        findings[1].probe_profile.as_deref(),
        Some("exchange-online")
    );

    let ports = [
        l.policy.port_for("dane-mismatch"),
        l.policy.port_for("sts-enforce"),
    ];
    let draw = |t: &Table, w: u16, h: u16| {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| tlsdive::tui::render::triage::render(f, t, f.area()))
            .unwrap();
        let buf = term.backend().buffer().clone();
        let screen = (0..h)
            .map(|y| {
                let l: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
                l.trim_end().to_string()
            })
            .collect::<Vec<_>>()
            .join("\n");
        ports
            .iter()
            .fold(screen, |s, p| s.replace(&p.to_string(), "PPPPP"))
    };
    let small = draw(&t, 80, 24);
    let header = small
        .lines()
        .find(|l| l.contains("receiving MX"))
        .unwrap_or_else(|| panic!("{small}"));
    for col in ["then: result type", "now", "tlsdive: cause"] {
        assert!(header.contains(col), "{col}: {small}");
    }
    assert!(small.contains("STILL FAILING"), "{small}");
    assert!(small.contains("fixed since"), "{small}");
    assert!(
        small.contains("now           STILL FAILING: dane-mismatch: "),
        "{small}"
    );
    assert!(
        small.contains("fix           publish a TLSA record"),
        "{small}"
    );
    insta::assert_snapshot!("tlsrpt_table_80x24", small);
    t.key(Key::Down);
    let wide = draw(&t, 160, 48);
    assert!(
        wide.contains("exchange-online's own ClientHello: accepted: TLSv1."),
        "{wide}"
    );
    assert!(
        wide.contains("the reports saw failures, the sweep found none: repeat (Enter, then R)"),
        "{wide}"
    );
    insta::assert_snapshot!("tlsrpt_table_160x48", wide);

    // Enter opens the still failing group's MX with the plan it was judged on.
    t.key(Key::Up);
    let Some(Action::Open(opened)) = t.key(Key::Enter) else {
        panic!("Enter opens a judged group");
    };
    let plan = opened.plan.clone().expect("the group's plan");
    assert_eq!(plan.port, l.policy.port_for("dane-mismatch"));
    // The MX set has one host and address here: the domain attempt stood for the group.
    assert_eq!(
        plan.target,
        tlsdive::plan::Target::Domain(dane.clone()),
        "{plan:?}"
    );
    let before = t.rows[0].cause;
    // An experiment there (implicit TLS on the STARTTLS port) is not what the reporter
    // sees: the row keeps its verdict and says why.
    let mut experiment = plan.clone();
    experiment.mode = tlsdive::plan::TlsMode::Implicit;
    let (tried, _) = common::run(experiment).await;
    let mut session = tlsdive::session::Session::new();
    session.attempts.push(tried);
    t.back_from(&opened.key, &session, &plan);
    assert_eq!(t.rows[0].cause, before, "{:?}", t.rows[0]);
    assert!(t.rows[0].drilldown.is_none());
    assert!(
        t.status.contains("the row keeps what it said"),
        "{}",
        t.status
    );
    // The reporter's plan there (the experiment beside it is left out): judged, and the
    // triage's own verdict is kept as what the probe said.
    let (attempt, _) = common::run(plan.clone()).await;
    session.attempts.push(attempt);
    t.back_from(&opened.key, &session, &plan);
    let f = &t.findings()[0];
    assert_eq!(f.drilldown_attempts, Some(1));
    assert_eq!(
        t.rows[0].drilldown.as_ref().map(|d| Some(d.probe_said)),
        Some(before)
    );
    assert!(
        t.status.contains("from 1 of the 2 attempts there"),
        "{}",
        t.status
    );
    assert_eq!(
        f.cause_now, "dane-mismatch",
        "judged with the domain's policy: {f:?}"
    );
    assert!(t.rows[0].drilldown.is_some());
    let text = tlsdive::triage::tlsrpt::text(&t.findings());
    assert!(
        text.contains("(now: from the interactive view, 1 attempt)"),
        "{text}"
    );
}

/// The real binary's `--tlsrpt` live table in a real terminal (tmux, 100×30) against the
/// policy lab: the table shows the group and its verdict, Enter opens the group's MX in
/// the interactive view, q (twice: the attempt there is not exported) comes back to the
/// table, which takes over what was found, and q quits and prints the summary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_table_in_a_terminal_opens_a_group_and_prints_the_summary() {
    if let Some(why) = common::tmux::missing() {
        eprintln!("skipped: {why} (.ci/run installs tmux)");
        return;
    }
    let l = lab().await;
    let dane = policy_lab::domain("dane-mismatch");
    let json = report(
        "Google Inc.",
        "smtp-tls-reporting@google.com",
        "2026-11-30",
        vec![policy(
            "tlsa",
            &dane,
            &[],
            40,
            &[("tlsa-invalid", "209.85.220.41", MX, "127.0.0.1", 12)],
        )],
    );
    let file = l.write("google-tmux.json", json.as_bytes());
    let args: Vec<String> = l
        .triage_args(l.policy.port_for("dane-mismatch"), &[], &[&file])
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    let cmd = format!(
        "{} {}; echo TLSDIVE-EXITED=$?; exec sleep 600",
        env!("CARGO_BIN_EXE_tlsdive"),
        args.join(" ")
    );
    let pane = common::tmux::Pane::start("tlsrpt", 100, 30, &cmd);
    let wait = std::time::Duration::from_secs(30);

    let table = pane
        .wait_for("the group judged in the table", wait, |s| {
            s.contains("failure group judged") && s.contains("STILL FAILING")
        })
        .await;
    assert!(table.contains("receiving MX"), "{table}");
    assert!(table.contains("dane-mismatch"), "{table}");
    assert!(table.contains("tlsa-invalid"), "{table}");

    pane.keys("Enter");
    let view = pane
        .wait_for(
            "the interactive view on the group's MX, its attempt over",
            wait,
            |s| s.contains("attempt 1/1") && s.contains("dane-mismatch after"),
        )
        .await;
    assert!(view.contains("dane-mismatch"), "{view}");

    pane.keys("q");
    pane.wait_for("the question before leaving", wait, |s| {
        s.contains("q again returns to the triage table")
    })
    .await;
    pane.keys("q");
    let back = pane
        .wait_for("the table again, with what the view found", wait, |s| {
            // Whole lines, not a capture taken in the middle of a redraw.
            s.contains("receiving MX")
                && s.contains("the row now says")
                && s.contains("from the interactive view (")
        })
        .await;
    // The status line names the group as a person reads it, and may wrap.
    let status = back
        .split_once("back from ")
        .map(|(_, rest)| rest.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    assert!(
        status.starts_with(&format!(
            "{dane} (tlsa, Google Inc.): 1 attempt there; the row now says dane-mismatch"
        )),
        "{back}"
    );
    assert!(
        back.contains("from the interactive view (1 attempt)"),
        "{back}"
    );

    pane.keys("q");
    let done = pane
        .wait_for("the summary after the table", wait, |s| {
            s.contains("TLSDIVE-EXITED=")
        })
        .await;
    for line in [
        "1 failure group from the reports: 1 still failing, 0 fixed since",
        &format!("{dane} policy tlsa MX {MX} [127.0.0.1]: STILL FAILING"),
        "(now: from the interactive view, 1 attempt)",
        "TLSDIVE-EXITED=1",
    ] {
        assert!(done.contains(line), "{line}: {done}");
    }
    assert!(!done.contains("receiving MX"), "the table is gone: {done}");
}
