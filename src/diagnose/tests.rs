//! Table-driven diagnosis tests: attempts built from event sequences, the cause each gets.

use super::*;
use crate::event::{EventKind, Failure, Phase, ProbeEvent};
use crate::plan::{Plan, Target};
use crate::wire::{AlertInfo, ClientHelloInfo, Dir, MessageInfo, RecordInfo, ServerHelloInfo};

fn attempt(plan: Plan, kinds: Vec<EventKind>) -> Attempt {
    let mut a = Attempt::new(1, None);
    let mut all = vec![EventKind::AttemptStarted {
        plan: Box::new(plan),
    }];
    all.extend(kinds);
    for (i, kind) in all.into_iter().enumerate() {
        a.apply(&ProbeEvent {
            attempt: 1,
            at_us: i as u64 * 1000,
            kind,
        });
    }
    a
}

fn record(dir: Dir, m: MessageInfo) -> EventKind {
    EventKind::TlsRecord {
        dir,
        record: RecordInfo {
            content_type: "handshake".into(),
            version: "TLSv1.2".into(),
            length: 100,
            encrypted: false,
            messages: vec![m],
            decrypted: None,
            repeated: 0,
        },
    }
}

fn hello() -> EventKind {
    record(
        Dir::Client,
        MessageInfo::ClientHello(ClientHelloInfo {
            legacy_version: "TLSv1.2".into(),
            versions: vec!["TLSv1.3".into(), "TLSv1.2".into()],
            cipher_suites: vec!["TLS13_AES_128_GCM_SHA256".into()],
            groups: vec!["X25519MLKEM768".into(), "X25519".into()],
            key_shares: vec![("X25519MLKEM768".into(), 1216)],
            sni: None,
            alpn: vec![],
            signature_algorithms: vec![],
            extensions: vec![],
            size: 1350,
        }),
    )
}

fn alert(name: &str) -> EventKind {
    record(
        Dir::Server,
        MessageInfo::Alert(AlertInfo {
            level: "fatal".into(),
            description: name.into(),
            code: 0,
        }),
    )
}

fn finished(f: Failure, phase: Phase) -> EventKind {
    EventKind::AttemptFinished {
        failure: Some(f),
        phase,
    }
}

/// A TLS failure as the engine types it, from a short spelling for the table below.
fn tls(code: &str) -> Failure {
    use crate::event::{Incompatible, ProtocolFault, TlsFailure};
    let alert = |name: &str| {
        (0..=255u8)
            .find(|d| crate::wire::names::alert_name(*d) == name)
            .expect("a known alert name")
    };
    let failure = match code.split_once(':') {
        Some(("alert", name)) => TlsFailure::Alert {
            description: alert(name),
        },
        Some(("incompatible", "version")) => TlsFailure::Incompatible {
            what: Incompatible::Version,
        },
        Some(("incompatible", "groups")) => TlsFailure::Incompatible {
            what: Incompatible::KeyExchangeGroups,
        },
        Some(("incompatible", "suites")) => TlsFailure::Incompatible {
            what: Incompatible::CipherSuites,
        },
        Some(("protocol", "misbehaved")) => TlsFailure::Protocol {
            what: ProtocolFault::Misbehaved,
        },
        Some(("protocol", "not-tls")) => TlsFailure::Protocol {
            what: ProtocolFault::NotTls,
        },
        _ => TlsFailure::Other,
    };
    Failure::Tls {
        error: format!("rustls says {code}"),
        failure,
    }
}

fn plan() -> Plan {
    Plan::new(Target::Host("mx.example.net".into()))
}

#[test]
fn causes_from_event_sequences() {
    let mut groups_only = plan();
    groups_only.tls.groups = vec!["secp384r1".into()];
    let hs = Phase::TlsHandshake;
    let cases: Vec<(&str, Plan, Vec<EventKind>)> = vec![
        (
            "no-shared-version",
            plan(),
            vec![
                hello(),
                alert("protocol_version"),
                finished(tls("alert:protocol_version"), hs),
            ],
        ),
        (
            // Which parameter, a scan decides (GnuTLS refuses a version this way too).
            "no-shared-parameters",
            plan(),
            vec![
                hello(),
                alert("handshake_failure"),
                finished(tls("alert:handshake_failure"), hs),
            ],
        ),
        (
            "no-shared-group",
            groups_only,
            vec![
                hello(),
                alert("handshake_failure"),
                finished(tls("alert:handshake_failure"), hs),
            ],
        ),
        (
            "no-shared-cipher",
            plan(),
            vec![
                hello(),
                alert("insufficient_security"),
                finished(tls("alert:insufficient_security"), hs),
            ],
        ),
        (
            "tls-alert",
            plan(),
            vec![
                hello(),
                alert("internal_error"),
                finished(tls("alert:internal_error"), hs),
            ],
        ),
        (
            "client-cert-required",
            plan(),
            vec![
                hello(),
                finished(tls("alert:certificate_required"), Phase::PostTls),
            ],
        ),
        (
            "client-cert-required",
            plan(),
            vec![
                hello(),
                EventKind::ClientCertRequested {
                    issuers: 0,
                    offered: false,
                },
                finished(tls("alert:handshake_failure"), hs),
            ],
        ),
        (
            "no-shared-version",
            plan(),
            vec![hello(), finished(tls("incompatible:version"), hs)],
        ),
        (
            "no-shared-group",
            plan(),
            vec![hello(), finished(tls("incompatible:groups"), hs)],
        ),
        (
            "no-shared-cipher",
            plan(),
            vec![hello(), finished(tls("incompatible:suites"), hs)],
        ),
        (
            "tls-protocol-error",
            plan(),
            vec![hello(), finished(tls("protocol:misbehaved"), hs)],
        ),
        (
            "not-tls",
            plan(),
            vec![
                hello(),
                record(
                    Dir::Server,
                    MessageInfo::Malformed {
                        reason: "not TLS: 250 ok".into(),
                    },
                ),
                finished(tls("protocol:not-tls"), hs),
            ],
        ),
        (
            "peer-closed-during-handshake",
            plan(),
            vec![hello(), finished(Failure::PeerClosed, hs)],
        ),
        (
            "peer-reset-during-handshake",
            plan(),
            vec![hello(), finished(Failure::PeerReset, hs)],
        ),
        (
            "connection-closed",
            plan(),
            vec![finished(Failure::PeerClosed, Phase::Banner)],
        ),
        (
            "post-tls-failure",
            plan(),
            vec![finished(Failure::PeerClosed, Phase::PostTls)],
        ),
        (
            "banner-timeout",
            plan(),
            vec![finished(Failure::Timeout, Phase::Banner)],
        ),
        (
            "handshake-timeout",
            plan(),
            vec![hello(), finished(Failure::Timeout, hs)],
        ),
        (
            "timeout",
            plan(),
            vec![finished(Failure::Timeout, Phase::Ehlo)],
        ),
        (
            "service-unavailable",
            plan(),
            vec![finished(Failure::BadReply { code: 421 }, Phase::Banner)],
        ),
        (
            "ehlo-rejected",
            plan(),
            vec![finished(Failure::BadReply { code: 550 }, Phase::Ehlo)],
        ),
        (
            "starttls-rejected",
            plan(),
            vec![finished(Failure::BadReply { code: 454 }, Phase::Starttls)],
        ),
        (
            "post-tls-failure",
            plan(),
            vec![finished(Failure::BadReply { code: 554 }, Phase::PostTls)],
        ),
        (
            "starttls-not-offered",
            plan(),
            vec![finished(Failure::StarttlsNotOffered, Phase::Ehlo)],
        ),
        (
            "plaintext-injection",
            plan(),
            vec![finished(Failure::PlaintextInjection, Phase::Starttls)],
        ),
        (
            "not-smtp",
            plan(),
            vec![finished(
                Failure::NotSmtp {
                    detail: "SSH-2.0".into(),
                    looks_like_tls: false,
                },
                Phase::Banner,
            )],
        ),
        (
            "reply-too-long",
            plan(),
            vec![finished(
                Failure::ReplyTooLong {
                    lines: 500,
                    bytes: 9000,
                },
                Phase::Ehlo,
            )],
        ),
        (
            "connect-refused",
            plan(),
            vec![finished(Failure::ConnectRefused, Phase::Connect)],
        ),
        (
            "connect-timeout",
            plan(),
            vec![finished(Failure::ConnectTimeout, Phase::Connect)],
        ),
        (
            "unreachable",
            plan(),
            vec![finished(
                Failure::Unreachable {
                    detail: "no route".into(),
                },
                Phase::Connect,
            )],
        ),
        (
            "dns-failed",
            plan(),
            vec![finished(
                Failure::DnsFailed {
                    detail: "SERVFAIL".into(),
                },
                Phase::Resolve,
            )],
        ),
        (
            "no-mx",
            plan(),
            vec![finished(
                Failure::NoAddresses {
                    detail: "x has no MX records and no A".into(),
                    null_mx: false,
                    no_mx: true,
                },
                Phase::Resolve,
            )],
        ),
        (
            "cancelled",
            plan(),
            vec![finished(Failure::Cancelled, Phase::Banner)],
        ),
        (
            "internal-error",
            plan(),
            vec![finished(
                Failure::Config {
                    detail: "bad".into(),
                },
                Phase::TlsHandshake,
            )],
        ),
    ];
    for (want, plan, events) in cases {
        let a = attempt(plan, events.clone());
        let d = diagnose(&a);
        assert_eq!(d.cause.code(), want, "events {events:?} gave {d:?}");
        assert!(!d.ok);
        assert!(!d.summary.is_empty());
    }
}

#[test]
fn success_and_running() {
    let a = attempt(
        plan(),
        vec![
            hello(),
            record(
                Dir::Server,
                MessageInfo::ServerHello(ServerHelloInfo {
                    version: "TLSv1.3".into(),
                    cipher_suite: "TLS13_AES_128_GCM_SHA256".into(),
                    group: Some("X25519MLKEM768".into()),
                    extensions: vec![],
                    size: 1200,
                }),
            ),
            EventKind::AttemptFinished {
                failure: None,
                phase: Phase::Done,
            },
        ],
    );
    let d = diagnose(&a);
    assert!(d.ok);
    assert_eq!(d.cause, Cause::Ok);
    let running = attempt(plan(), vec![hello()]);
    assert_eq!(diagnose(&running).cause, Cause::Running);
}

#[test]
fn peer_closed_evidence_names_the_hello_and_timing() {
    let a = attempt(
        plan(),
        vec![
            hello(),
            EventKind::ConnectionEnded {
                how: crate::event::ConnectionEnd::Fin,
            },
            finished(Failure::PeerClosed, Phase::TlsHandshake),
        ],
    );
    let d = diagnose(&a);
    assert_eq!(
        d.summary,
        "the server closed the connection (FIN) 1.0 ms after our 1,350-byte ClientHello with no alert"
    );
    assert_eq!(d.next_steps[0].retry, Some(Retry::WithoutPostQuantum));
    assert!(
        d.evidence
            .iter()
            .any(|e| e.contains("connection ended: closed by the server (FIN)"))
    );
}

/// A banner that arrives after 20 s is a success, but one many senders never see: say so.
#[test]
fn a_slow_banner_is_a_warned_success() {
    let timed = |banner_us: u64| {
        let mut a = Attempt::new(1, None);
        let events = [
            (
                0,
                EventKind::AttemptStarted {
                    plan: Box::new(plan()),
                },
            ),
            (
                0,
                EventKind::PhaseStarted {
                    phase: Phase::Connect,
                },
            ),
            (
                500,
                EventKind::PhaseStarted {
                    phase: Phase::Banner,
                },
            ),
            (
                500 + banner_us,
                EventKind::PhaseStarted { phase: Phase::Ehlo },
            ),
            (
                600 + banner_us,
                EventKind::AttemptFinished {
                    failure: None,
                    phase: Phase::Done,
                },
            ),
        ];
        for (at_us, kind) in events {
            a.apply(&ProbeEvent {
                attempt: 1,
                at_us,
                kind,
            });
        }
        diagnose(&a)
    };
    let d = timed(20_054_000);
    assert_eq!(d.cause, Cause::Ok);
    assert!(
        d.summary.contains("the banner took 20.1 s"),
        "{}",
        d.summary
    );
    let d = timed(300_000);
    assert!(!d.summary.contains("banner took"), "{}", d.summary);
}

#[test]
fn decrypted_messages_in_words() {
    use crate::diagnose::evidence::message_words;
    let cases: Vec<(MessageInfo, &str)> = vec![
        (
            MessageInfo::EncryptedExtensions {
                alpn: Some("smtp".into()),
                server_name_ack: true,
                record_size_limit: Some(16385),
                extensions: vec![],
            },
            "EncryptedExtensions (ALPN smtp; server name acknowledged; record size limit 16,385)",
        ),
        (
            MessageInfo::EncryptedExtensions {
                alpn: None,
                server_name_ack: false,
                record_size_limit: None,
                extensions: vec![],
            },
            "EncryptedExtensions",
        ),
        (
            MessageInfo::Certificate {
                count: 2,
                sizes: vec![1201, 1090],
                ocsp_staple: Some(true),
            },
            "Certificate (2 certificates: 1,201 + 1,090 B; OCSP staple)",
        ),
        (
            MessageInfo::Certificate {
                count: 0,
                sizes: vec![],
                ocsp_staple: Some(false),
            },
            "Certificate (empty: no certificate)",
        ),
        (
            MessageInfo::CertificateRequest {
                length: 80,
                authorities: vec!["CN=Root A".into(), "CN=Root B".into()],
                signature_algorithms: vec!["ED25519".into()],
            },
            "CertificateRequest (2 acceptable CAs; 1 signature algorithm)",
        ),
        (
            MessageInfo::CertificateRequest {
                length: 20,
                authorities: vec![],
                signature_algorithms: vec![],
            },
            "CertificateRequest (no CA names; 0 signature algorithms)",
        ),
        (
            MessageInfo::CertificateVerify {
                algorithm: "RSA_PSS_SHA256".into(),
                length: 260,
            },
            "CertificateVerify (RSA_PSS_SHA256)",
        ),
        (
            MessageInfo::ApplicationData {
                length: 99,
                carries: Some("250-mx.example.com".into()),
                lines: 5,
            },
            "application data 99 B (carries: 250-mx.example.com + 4 more lines)",
        ),
    ];
    for (m, want) in cases {
        assert_eq!(message_words(&m), want);
    }
}

/// A TLS 1.2-only ClientHello has no key_share extension: its words leave key shares out
/// instead of printing an empty list; a TLS 1.3 one names them.
#[test]
fn client_hello_words_name_key_shares_only_when_sent() {
    use crate::diagnose::evidence::message_words;
    use crate::profile::catalog::ScanVersion;
    use crate::scan::hello::{HelloSpec, build, default_key_shares};
    let words = |version, key_shares| {
        let bytes = build(&HelloSpec {
            version,
            suites: vec![0xc02f, 0x1301],
            groups: vec![0x001d, 0x0017],
            key_shares,
            sni: None,
        });
        let records = crate::wire::Tracker::new().feed(crate::wire::Dir::Client, &bytes);
        let m = records[0].messages[0].clone();
        message_words(&m)
    };
    let tls12 = words(ScanVersion::Tls12, vec![]);
    assert!(tls12.starts_with("ClientHello "), "{tls12}");
    assert!(!tls12.contains("key shares"), "{tls12}");
    let tls13 = words(ScanVersion::Tls13, default_key_shares());
    assert!(tls13.contains("; key shares X25519 32 B"), "{tls13}");
}

/// A finished, working TLS dialogue with `mx.example.net`, its MX secure, plus `policy`.
fn working_with_policy(policy: Vec<EventKind>) -> Attempt {
    let mut kinds = vec![
        EventKind::MxResolved {
            domain: "example.net".into(),
            hosts: vec![],
        },
        EventKind::ConnectStarted {
            peer: "192.0.2.1:25".parse().unwrap(),
            host: Some("mx.example.net".into()),
        },
        EventKind::DnssecChecked {
            answer: crate::policy::DnsAnswer {
                name: "example.net".into(),
                rtype: "MX".into(),
                dnssec: crate::policy::Dnssec::Secure,
                detail: None,
            },
        },
        EventKind::TlsEstablished {
            negotiated: crate::event::Negotiated {
                version: "TLSv1.3".into(),
                cipher_suite: "TLS13_AES_128_GCM_SHA256".into(),
                group: Some("X25519".into()),
                handshake_kind: "full".into(),
                alpn: None,
            },
        },
    ];
    kinds.extend(policy);
    kinds.push(finished_ok());
    attempt(Plan::new(Target::Domain("example.net".into())), kinds)
}

fn finished_ok() -> EventKind {
    EventKind::AttemptFinished {
        failure: None,
        phase: Phase::Done,
    }
}

/// A DANE verdict nobody could judge is never "ok" (nor "none", nor a "yes" built on it).
#[test]
fn a_dane_lookup_that_could_not_be_judged_is_never_ok() {
    let servfail = EventKind::TlsaFound {
        lookup: crate::policy::TlsaLookup {
            host: "mx.example.net".into(),
            port: 25,
            dnssec: crate::policy::Dnssec::Indeterminate,
            records: vec![],
            error: Some("SERVFAIL from the resolver".into()),
            at_unix: 0,
        },
    };
    for (a, words) in [
        (working_with_policy(vec![servfail]), "SERVFAIL"),
        // The policy lookups ran, but this host's TLSA answer never came.
        (working_with_policy(vec![]), "did not finish"),
    ] {
        let d = diagnose(&a);
        assert_eq!(
            (d.ok, d.cause),
            (false, Cause::DnssecIndeterminate),
            "{d:?}"
        );
        assert!(d.summary.contains(words), "{}", d.summary);
        let s = policy::assess(&a).unwrap();
        assert_eq!(s.dane.verdict, policy::PolicyVerdict::DnssecIndeterminate);
        let dane = s.senders.iter().find(|r| r.policy == "DANE").unwrap();
        assert_eq!(dane.delivers, None, "{dane:?}");
        assert!(dane.why.contains("could not be judged"), "{dane:?}");
    }
}

/// An attempt recorded before tlsdive went on past a failed verification: what an
/// opportunistic sender gets is not known, and nobody is told "yes" on it.
#[test]
fn a_handshake_stopped_at_our_verification_tells_no_opportunistic_yes() {
    let a = attempt(
        Plan::new(Target::Domain("example.net".into())),
        vec![
            EventKind::ConnectStarted {
                peer: "192.0.2.1:25".parse().unwrap(),
                host: Some("mx.example.net".into()),
            },
            EventKind::DnssecChecked {
                answer: crate::policy::DnsAnswer {
                    name: "example.net".into(),
                    rtype: "MX".into(),
                    dnssec: crate::policy::Dnssec::Insecure,
                    detail: None,
                },
            },
            EventKind::AttemptFinished {
                failure: Some(Failure::Tls {
                    error: "invalid peer certificate: Expired".into(),
                    failure: crate::event::TlsFailure::Certificate,
                }),
                phase: Phase::TlsHandshake,
            },
        ],
    );
    let s = policy::assess(&a).unwrap();
    let opp = &s.senders[0];
    assert_eq!(
        (opp.policy, opp.delivers),
        ("opportunistic", None),
        "{opp:?}"
    );
    assert!(!opp.why.contains("plaintext"), "{opp:?}");
}
