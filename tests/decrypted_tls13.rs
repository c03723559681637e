//! The TLS 1.3 handshake decrypted with the attempt's own secrets, against the lab's real
//! servers: the server's encrypted flight reads as EncryptedExtensions, Certificate,
//! CertificateVerify, Finished; a CertificateRequest shows its CA names; a
//! certificate_required alert sent encrypted is read; and no secret leaves the engine.

mod common;

use common::{fixture, probe, server, tlsdive};
use tlsdive::lab::Scenario;
use tlsdive::plan::TlsVersion;
use tlsdive::session::Attempt;
use tlsdive::wire::{Dir, MessageInfo};

/// Every decrypted message of `dir`, in order.
fn decrypted(a: &Attempt, dir: Dir) -> Vec<MessageInfo> {
    a.records()
        .filter(|(_, d, r)| *d == dir && r.decrypted.is_some())
        .flat_map(|(_, _, r)| r.messages.clone())
        .collect()
}

fn names(ms: &[MessageInfo]) -> Vec<String> {
    ms.iter()
        .map(|m| {
            let json = serde_json::to_value(m).expect("message serialises");
            json["type"].as_str().unwrap_or("?").to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_tls13_handshake_reads_decrypted() {
    let (a, d) = probe(Scenario::Tls13Only, |_| {}).await;
    assert!(d.ok, "{d:?}");
    let server = decrypted(&a, Dir::Server);
    let order = names(&server);
    let want = [
        "encrypted_extensions",
        "certificate",
        "certificate_verify",
        "finished",
    ];
    assert_eq!(
        order.get(..4),
        Some(&want.map(String::from)[..]),
        "{order:?}"
    );
    let Some(MessageInfo::Certificate {
        count,
        sizes,
        ocsp_staple,
    }) = server.get(1)
    else {
        panic!("{server:?}")
    };
    // The lab serves leaf + intermediate; the sizes are the DER sizes it holds.
    let pki = &fixture().pki;
    assert_eq!(*count, 2);
    assert_eq!(sizes, &[pki.server.cert.len(), pki.intermediate.len()]);
    assert_eq!(*ocsp_staple, Some(false));
    assert!(
        matches!(server.get(2), Some(MessageInfo::CertificateVerify { algorithm, .. }) if !algorithm.starts_with("unknown")),
        "{server:?}"
    );
    // Our own Finished, and the SMTP dialogue as application data that says what it carries.
    let ours = decrypted(&a, Dir::Client);
    assert_eq!(names(&ours).first().map(String::as_str), Some("finished"));
    let carried: Vec<String> = server
        .iter()
        .chain(&ours)
        .filter_map(|m| match m {
            MessageInfo::ApplicationData { carries, .. } => carries.clone(),
            _ => None,
        })
        .collect();
    assert!(
        carried.iter().any(|c| c.starts_with("EHLO ")),
        "{carried:?}"
    );
    assert!(carried.iter().any(|c| c.starts_with("250")), "{carried:?}");
    assert!(carried.iter().any(|c| c == "QUIT"), "{carried:?}");
    // Every protected record of this healthy handshake was opened.
    let still_encrypted = a
        .messages()
        .filter(|(_, _, m)| matches!(m, MessageInfo::Encrypted { .. }))
        .count();
    assert_eq!(still_encrypted, 0, "{:#?}", a.timeline);
    // The rows say they were decrypted, in the text report too.
    let text = tlsdive::report::text::report(&a);
    assert!(text.contains("[decrypted] EncryptedExtensions"), "{text}");
}

#[tokio::test]
async fn a_tls13_certificate_request_shows_its_ca_names_and_the_encrypted_alert() {
    let (a, d) = probe(Scenario::ClientCertRequired, |p| {
        p.tls.versions = vec![TlsVersion::Tls13];
    })
    .await;
    assert!(!d.ok);
    let server = decrypted(&a, Dir::Server);
    let request = server
        .iter()
        .find_map(|m| match m {
            MessageInfo::CertificateRequest {
                authorities,
                signature_algorithms,
                ..
            } => Some((authorities.clone(), signature_algorithms.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no CertificateRequest in {server:?}"));
    assert!(
        request
            .0
            .iter()
            .any(|ca| ca.contains("tlsdive lab root CA")),
        "{request:?}"
    );
    assert!(!request.1.is_empty());
    // We had no certificate: our empty Certificate, then the server's certificate_required,
    // which TLS 1.3 sends encrypted.
    let ours = decrypted(&a, Dir::Client);
    assert!(
        ours.iter()
            .any(|m| matches!(m, MessageInfo::Certificate { count: 0, .. })),
        "{ours:?}"
    );
    assert!(
        server.iter().any(
            |m| matches!(m, MessageInfo::Alert(al) if al.description == "certificate_required")
        ),
        "{server:?}"
    );
}

#[tokio::test]
async fn no_secret_reaches_the_json_or_the_recording() {
    let srv = server(Scenario::Tls13Only).await;
    let dir = tempfile::tempdir().unwrap();
    let keylog = dir.path().join("keys.log");
    let recording = dir.path().join("rec.jsonl");
    let target = srv.addr.to_string();
    let out = tlsdive(&[
        "probe",
        &target,
        "--ca-file",
        fixture().ca.to_str().unwrap(),
        "--keylog",
        keylog.to_str().unwrap(),
        "--record",
        recording.to_str().unwrap(),
        "--json",
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = String::from_utf8(out.stdout).unwrap();
    let recorded = std::fs::read_to_string(&recording).unwrap();
    assert!(
        json.contains("\"decrypted\":\"handshake\"")
            || json.contains("\"decrypted\": \"handshake\"")
    );
    assert!(
        recorded.contains("tls_decrypted"),
        "the recording keeps the decrypted rows"
    );
    let keys = std::fs::read_to_string(&keylog).unwrap();
    let secrets: Vec<&str> = keys.lines().filter_map(|l| l.split(' ').nth(2)).collect();
    assert!(secrets.len() >= 4, "{keys}");
    for s in secrets {
        assert!(!json.contains(s), "a secret is in the JSON");
        assert!(!recorded.contains(s), "a secret is in the recording");
        assert!(!json.contains(&s.to_ascii_uppercase()));
    }
}
