//! Names the cause of an attempt's outcome in plain words, backed by what was seen on the
//! wire, and says which retry would tell more. A pure function of one `Attempt`: the cause
//! codes are stable kebab-case strings (see DESIGN.md).

pub mod evidence;
pub mod retry;

use serde::Serialize;

pub use retry::Retry;

use crate::cert::CertProblem;
use crate::event::{ConnectionEnd, Failure, Phase};
use crate::plan::{Plan, TlsMode};
use crate::session::Attempt;
use evidence::Facts;

/// A suggested next attempt, with the change it makes (for front ends that bind keys).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextStep {
    pub text: String,
    pub retry: Option<Retry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnosis {
    /// True when TLS was negotiated and the dialogue completed.
    pub ok: bool,
    pub phase: Phase,
    pub cause: &'static str,
    pub summary: String,
    pub evidence: Vec<String>,
    pub next_steps: Vec<NextStep>,
}

fn step(text: impl Into<String>, retry: Option<Retry>) -> NextStep {
    NextStep {
        text: text.into(),
        retry,
    }
}

/// Diagnose a finished attempt (a running one gets a "still running" diagnosis).
pub fn diagnose(a: &Attempt) -> Diagnosis {
    let facts = Facts::of(a);
    let Some((failure, phase, _)) = &a.finished else {
        return Diagnosis {
            ok: false,
            phase: a.phase(),
            cause: "running",
            summary: format!("still running ({})", a.phase().name()),
            evidence: vec![],
            next_steps: vec![],
        };
    };
    let mut d = match failure {
        None => success(a, &facts),
        Some(f) => failed(a, &facts, f, *phase),
    };
    d.evidence.retain(|e| !e.is_empty());
    // A handshake that works can still be refused by a DANE or MTA-STS sender.
    if d.ok
        && let Some(v) = crate::policy::assess::decisive(a)
    {
        d.cause = v.code();
        if let Some(why) = crate::policy::assess::decisive_summary(a) {
            d.summary = format!("{why} (the handshake itself works)");
        }
    }
    d
}

fn success(a: &Attempt, facts: &Facts) -> Diagnosis {
    let neg = a.negotiated.as_ref();
    let what = neg
        .map(|n| {
            format!(
                "{} with {}{}",
                n.version,
                n.cipher_suite,
                n.group
                    .as_ref()
                    .map(|g| format!(" over {g}"))
                    .unwrap_or_default()
            )
        })
        .unwrap_or_else(|| "TLS".into());
    let mut evidence = vec![facts.negotiated_line()];
    evidence.extend(facts.verdict_line());
    evidence.push(facts.caps_change());
    // With verification off the handshake completes; the certificate may still be bad.
    if let Some(v) = a.verdict.as_ref().filter(|v| !v.ok) {
        let (cause, _) = cert_cause(v.problem.as_ref());
        return Diagnosis {
            ok: true,
            phase: Phase::Certificate,
            cause,
            summary: format!(
                "negotiated {what}, but only because verification is off: {}",
                v.detail
            ),
            evidence,
            next_steps: cert_steps(a, v.problem.as_ref()),
        };
    }
    Diagnosis {
        ok: true,
        phase: Phase::Done,
        cause: "ok",
        summary: format!("STARTTLS works: negotiated {what}"),
        evidence,
        next_steps: vec![],
    }
}

fn failed(a: &Attempt, facts: &Facts, f: &Failure, phase: Phase) -> Diagnosis {
    let plan = a.plan.as_ref();
    let mk = |cause: &'static str, summary: String, evidence: Vec<String>, steps: Vec<NextStep>| {
        Diagnosis {
            ok: false,
            phase,
            cause,
            summary,
            evidence,
            next_steps: steps,
        }
    };
    let target = facts.peer_words();
    match f {
        Failure::DnsFailed { detail } => mk(
            "dns-failed",
            format!("DNS lookup failed: {detail}"),
            vec![],
            vec![step("check the name, or ask another DNS server with --resolver IP:PORT", None)],
        ),
        Failure::NoAddresses { detail } => mk(
            if detail.contains("MX") { "no-mx" } else { "dns-failed" },
            detail.clone(),
            facts.mx_lines(),
            vec![step("try -4 or -6 if only one address family is missing", None)],
        ),
        Failure::ConnectRefused => mk(
            "connect-refused",
            format!("{target} refused the TCP connection: nothing listens on that port"),
            facts.tried_lines(),
            vec![step("check the port (25 for MX, 465 implicit TLS, 587 submission)", None)],
        ),
        Failure::ConnectTimeout => mk(
            "connect-timeout",
            format!("no answer to the TCP connection to {target}: a firewall drops the packets, or port 25 is blocked on the way out"),
            facts.tried_lines(),
            vec![step("try from another network, or with -4 / -6", None)],
        ),
        Failure::Unreachable { detail } => mk(
            "unreachable",
            format!("cannot reach {target}: {detail}"),
            facts.tried_lines(),
            vec![step("try the other address family (-4 / -6)", None)],
        ),
        Failure::Timeout => timeout(a, facts, phase, &mk),
        Failure::PeerClosed | Failure::PeerReset => closed(a, facts, f, phase, &mk),
        Failure::BadReply { code } => bad_reply(a, facts, *code, phase, &mk),
        Failure::NotSmtp { detail } => {
            let tls_port = detail.starts_with("\\x16\\x03");
            let mut steps = vec![];
            if tls_port && plan.is_some_and(|p| p.mode == TlsMode::Starttls) {
                steps.push(step("the port speaks TLS first: retry with implicit TLS", Some(Retry::ImplicitTls)));
            }
            mk("not-smtp", format!("the server's first bytes are not an SMTP reply: {detail}"), facts.transcript_tail(3), steps)
        }
        Failure::ReplyTooLong { lines, bytes } => mk(
            "reply-too-long",
            format!("a reply went on for {lines} lines / {bytes} bytes and was cut: a broken or hostile server"),
            facts.transcript_tail(2),
            vec![],
        ),
        Failure::StarttlsNotOffered => mk(
            "starttls-not-offered",
            "the server does not offer STARTTLS: mail to it goes unencrypted (or bounces where TLS is required)".into(),
            vec![format!("EHLO keywords: {}", a.capabilities(false).join(", "))],
            vec![step("if port 465 is open, retry with implicit TLS", Some(Retry::ImplicitTls))],
        ),
        Failure::PlaintextInjection => {
            let (n, preview) = a.injected.clone().unwrap_or_default();
            mk(
                "plaintext-injection",
                format!("{n} bytes arrived after the 220 to STARTTLS and before the handshake: plaintext an attacker (or a broken proxy) injected; they were not given to TLS"),
                vec![format!("injected: {preview}")],
                vec![step("look for a proxy or firewall doing SMTP inspection in front of the server", None)],
            )
        }
        Failure::Tls { error, code } => tls_failure(a, facts, error, code, phase, &mk),
        Failure::Config { detail } => mk("internal-error", format!("the attempt could not be set up: {detail}"), vec![], vec![]),
        Failure::Io { detail } => mk("internal-error", format!("I/O error: {detail}"), facts.transcript_tail(2), vec![]),
        Failure::Cancelled => mk("cancelled", format!("cancelled during {}", phase.name()), vec![], vec![step("retry the same plan", Some(Retry::Same))]),
    }
}

type Mk<'a> = &'a dyn Fn(&'static str, String, Vec<String>, Vec<NextStep>) -> Diagnosis;

fn timeout(a: &Attempt, facts: &Facts, phase: Phase, mk: Mk) -> Diagnosis {
    let secs = a
        .plan
        .as_ref()
        .map(|p| p.timeouts.reply.as_secs_f64())
        .unwrap_or(0.0);
    match phase {
        Phase::Banner => mk(
            "banner-timeout",
            format!(
                "connected, but no banner within {secs:.1} s: a tarpit, an overloaded server, or a port that waits for the client to speak first (implicit TLS)"
            ),
            facts.tried_lines(),
            vec![
                step(
                    "retry with implicit TLS (the port may expect a ClientHello first)",
                    Some(Retry::ImplicitTls),
                ),
                step("retry with a longer --timeout", Some(Retry::LongerTimeout)),
            ],
        ),
        Phase::TlsHandshake | Phase::Certificate => mk(
            "handshake-timeout",
            format!(
                "the TLS handshake stalled for {secs:.1} s {}",
                facts.after_last_record()
            ),
            facts.handshake_lines(),
            vec![
                step(
                    "retry without the post-quantum key share (a large ClientHello can stall on broken middleboxes)",
                    Some(Retry::WithoutPostQuantum),
                ),
                step("retry with TLS 1.2 only", Some(Retry::Tls12Only)),
            ],
        ),
        _ => mk(
            "timeout",
            format!("no reply within {secs:.1} s during {}", phase.name()),
            facts.transcript_tail(2),
            vec![step(
                "retry with a longer --timeout",
                Some(Retry::LongerTimeout),
            )],
        ),
    }
}

fn closed(a: &Attempt, facts: &Facts, f: &Failure, phase: Phase, mk: Mk) -> Diagnosis {
    let rst = matches!(f, Failure::PeerReset) || matches!(a.ended, Some((ConnectionEnd::Rst, _)));
    let how = if rst {
        "reset the connection (RST)"
    } else {
        "closed the connection (FIN)"
    };
    match phase {
        Phase::TlsHandshake | Phase::Certificate => {
            let cause = if rst {
                "peer-reset-during-handshake"
            } else {
                "peer-closed-during-handshake"
            };
            let mut steps = Vec::new();
            let offered_pq = facts
                .client_hello()
                .is_some_and(|ch| ch.groups.iter().any(|g| g.contains("MLKEM")));
            if offered_pq {
                steps.push(step("retry without the post-quantum key share (X25519MLKEM768 makes the ClientHello larger than old servers and middleboxes accept)", Some(Retry::WithoutPostQuantum)));
            }
            steps.push(step("retry with TLS 1.2 only", Some(Retry::Tls12Only)));
            steps.push(step(
                "scan what the server accepts (tlsdive scan)",
                Some(Retry::Scan),
            ));
            mk(
                cause,
                format!(
                    "the server {how} {} with no alert",
                    facts.after_last_record()
                ),
                facts.handshake_lines(),
                steps,
            )
        }
        Phase::Banner => mk(
            "connection-closed",
            format!(
                "the server {how} before sending its banner: it refuses connections from this address (blocklist, rate limit) or is overloaded"
            ),
            facts.tried_lines(),
            vec![step(
                "retry later, or from another address with --source",
                None,
            )],
        ),
        _ => mk(
            if phase == Phase::PostTls {
                "post-tls-failure"
            } else {
                "connection-closed"
            },
            format!("the server {how} during {}", phase.name()),
            facts.transcript_tail(3),
            vec![step(
                "retry the same plan to see whether it repeats",
                Some(Retry::Same),
            )],
        ),
    }
}

fn bad_reply(a: &Attempt, facts: &Facts, code: u16, phase: Phase, mk: Mk) -> Diagnosis {
    let last = facts.last_server_line();
    match phase {
        Phase::Banner => mk(
            if (400..600).contains(&code) {
                "service-unavailable"
            } else {
                "not-smtp"
            },
            format!(
                "the server greeted with {code} instead of 220: it will not take mail from us now ({last})"
            ),
            facts.transcript_tail(2),
            vec![step(
                "retry later; a 421 banner is often a rate limit or a blocklist hit",
                Some(Retry::Same),
            )],
        ),
        Phase::Ehlo => mk(
            "ehlo-rejected",
            format!(
                "the server rejected EHLO {}: {last}",
                a.plan.as_ref().map(|p| p.ehlo.as_str()).unwrap_or("")
            ),
            facts.transcript_tail(4),
            vec![step(
                "retry with a fully qualified EHLO name that resolves to this address (--ehlo)",
                Some(Retry::EditEhlo),
            )],
        ),
        Phase::Starttls => mk(
            "starttls-rejected",
            format!("the server offered STARTTLS but refused it with {code}: {last}"),
            facts.transcript_tail(2),
            vec![step(
                "a 454 means a server-side TLS problem (missing key or certificate file, broken TLS library): tell the server's admins",
                None,
            )],
        ),
        _ => mk(
            "post-tls-failure",
            format!("TLS worked, but the server answered {code} over TLS: {last}"),
            facts.transcript_tail(3),
            vec![],
        ),
    }
}

fn tls_failure(
    a: &Attempt,
    facts: &Facts,
    error: &str,
    code: &str,
    phase: Phase,
    mk: Mk,
) -> Diagnosis {
    let plan = a.plan.as_ref();
    let server_hello = facts.server_hello().is_some();
    let evidence = facts.handshake_lines();
    if code == "certificate" {
        let v = a.verdict.as_ref();
        let (cause, words) = cert_cause(v.and_then(|v| v.problem.as_ref()));
        let mut ev = facts.verdict_line().into_iter().collect::<Vec<_>>();
        ev.extend(facts.chain_lines());
        return mk(
            cause,
            format!(
                "certificate verification failed: {}",
                v.map(|v| v.detail.clone())
                    .unwrap_or_else(|| words.to_string())
            ),
            ev,
            cert_steps(a, v.and_then(|v| v.problem.as_ref())),
        );
    }
    if let Some(alert) = code.strip_prefix("alert:") {
        let restricted_suites = plan.is_some_and(|p| !p.tls.cipher_suites.is_empty());
        let restricted_groups = plan.is_some_and(|p| !p.tls.groups.is_empty());
        let asked_cert = a.notes.iter().any(|(_, n)| {
            n.contains("asked for a client certificate") && n.contains("we have none")
        });
        let (cause, summary, steps): (&'static str, String, Vec<NextStep>) = match alert {
            "certificate_required" => ("client-cert-required", "the server requires a client certificate and we sent none".into(), client_cert_steps()),
            "handshake_failure" | "bad_certificate" if asked_cert => ("client-cert-required", format!("the server asked for a client certificate, we had none, and it ended the handshake with {alert}"), client_cert_steps()),
            "protocol_version" => ("no-shared-version", format!("the server refused every TLS version we offered ({}) with a protocol_version alert", facts.offered_versions()), version_steps(plan)),
            "insufficient_security" => ("no-shared-cipher", "the server found none of our cipher suites strong enough (insufficient_security)".into(), suite_steps()),
            "handshake_failure" if !server_hello && restricted_groups && !restricted_suites => ("no-shared-group", format!("the server refused our ClientHello (handshake_failure): none of our key-exchange groups ({}) is acceptable to it", facts.offered_groups()), group_steps()),
            "handshake_failure" if !server_hello => ("no-shared-cipher", "the server refused our ClientHello with handshake_failure before choosing anything: it found no cipher suite (or group) it shares with us".into(), suite_steps()),
            _ => ("tls-alert", format!("the server ended the handshake with a fatal {alert} alert"), vec![step("scan what the server accepts (tlsdive scan)", Some(Retry::Scan))]),
        };
        return mk(cause, summary, evidence, steps);
    }
    if let Some(what) = code.strip_prefix("incompatible:") {
        let (cause, summary, steps) = if what.contains("Tls12")
            || what.contains("Tls13")
            || what.contains("Version")
        {
            (
                "no-shared-version",
                format!(
                    "the server answered with a version we did not offer or cannot speak ({}): {error}",
                    facts.server_version_words()
                ),
                version_steps(plan),
            )
        } else if ["KxGroups", "KeyShare", "NamedGroups", "EcPoint"]
            .iter()
            .any(|k| what.contains(k))
        {
            (
                "no-shared-group",
                format!("no key-exchange group in common: {error}"),
                group_steps(),
            )
        } else if what.contains("CipherSuites") {
            (
                "no-shared-cipher",
                format!("no cipher suite in common: {error}"),
                suite_steps(),
            )
        } else {
            (
                "tls-protocol-error",
                format!("the server's handshake is not something we can accept: {error}"),
                vec![step(
                    "scan what the server accepts (tlsdive scan)",
                    Some(Retry::Scan),
                )],
            )
        };
        return mk(cause, summary, evidence, steps);
    }
    if facts.server_sent_non_tls() {
        return mk(
            "not-tls",
            format!(
                "the server answered the ClientHello with bytes that are not TLS ({})",
                facts.non_tls_words()
            ),
            evidence,
            vec![step(
                "the server may not really support STARTTLS on this port (or a proxy interferes)",
                None,
            )],
        );
    }
    let cause = if phase == Phase::PostTls {
        "post-tls-failure"
    } else if code.starts_with("misbehaved:") || code.starts_with("invalid-message:") {
        "tls-protocol-error"
    } else {
        "tls-alert"
    };
    mk(
        cause,
        format!("the TLS handshake failed: {error}"),
        evidence,
        vec![step(
            "scan what the server accepts (tlsdive scan)",
            Some(Retry::Scan),
        )],
    )
}

fn client_cert_steps() -> Vec<NextStep> {
    vec![step(
        "retry with a client certificate the server trusts (--cert FILE --key FILE)",
        None,
    )]
}

fn version_steps(plan: Option<&Plan>) -> Vec<NextStep> {
    let mut v = vec![];
    if plan.is_some_and(|p| !p.tls.versions.is_empty()) {
        v.push(step(
            "retry offering both TLS 1.2 and 1.3",
            Some(Retry::BothVersions),
        ));
    }
    v.push(step("scan which versions the server accepts (it may speak only TLS 1.0/1.1, which modern senders refuse)", Some(Retry::Scan)));
    v
}

fn suite_steps() -> Vec<NextStep> {
    vec![
        step(
            "retry with TLS 1.2 only (some servers mis-handle TLS 1.3 suites)",
            Some(Retry::Tls12Only),
        ),
        step(
            "scan which cipher suites the server accepts (it may accept only RSA key exchange or CBC suites)",
            Some(Retry::Scan),
        ),
    ]
}

fn group_steps() -> Vec<NextStep> {
    vec![
        step("retry with the default groups", Some(Retry::DefaultGroups)),
        step("scan which groups the server accepts", Some(Retry::Scan)),
    ]
}

fn cert_cause(p: Option<&CertProblem>) -> (&'static str, &'static str) {
    match p {
        Some(CertProblem::Expired { .. }) => ("cert-expired", "expired"),
        Some(CertProblem::NotYetValid { .. }) => ("cert-not-yet-valid", "not yet valid"),
        Some(CertProblem::NameMismatch { .. }) => ("cert-name-mismatch", "name mismatch"),
        Some(CertProblem::SelfSigned) => ("cert-self-signed", "self-signed"),
        Some(CertProblem::ChainIncomplete { .. }) => ("cert-chain-incomplete", "chain incomplete"),
        Some(CertProblem::UnknownIssuer { .. }) => ("cert-untrusted", "untrusted issuer"),
        _ => ("cert-untrusted", "not trusted"),
    }
}

fn cert_steps(a: &Attempt, p: Option<&CertProblem>) -> Vec<NextStep> {
    let verify_on = a.plan.as_ref().is_some_and(|p| p.tls.verify);
    let mut v = Vec::new();
    match p {
        Some(CertProblem::NameMismatch { looked_for, names }) => {
            // The certificate must be valid for the name a sender checks; another SNI can only
            // show whether the server has such a certificate and picks it by SNI.
            let sent = evidence::Facts::of(a).client_hello().and_then(|ch| ch.sni.clone());
            // SNI carries host names only (RFC 6066 §3).
            if sent.as_deref() != Some(looked_for.as_str())
                && looked_for.parse::<std::net::IpAddr>().is_err()
            {
                v.push(step(format!("retry with SNI {looked_for} to see whether the server has a certificate for that name and picks it by SNI"), Some(Retry::Sni(looked_for.clone()))));
            }
            let has = if names.is_empty() { "no DNS names".to_string() } else { names.join(", ") };
            v.push(step(format!("the certificate must name {looked_for} (it names {has}): add it to the certificate, or fix the MX record if it points at the wrong host"), None));
        }
        Some(CertProblem::ChainIncomplete { .. }) => v.push(step("the server must send its intermediate certificate(s) after its own: fix the server's chain file", None)),
        Some(CertProblem::Expired { .. }) => v.push(step("renew the certificate on the server (check the renewal job and that the service was reloaded)", None)),
        _ => {}
    }
    if verify_on {
        v.push(step("retry without verification to complete the handshake and see the rest (opportunistic senders do this)", Some(Retry::NoVerify)));
    }
    v
}

#[cfg(test)]
mod tests;
