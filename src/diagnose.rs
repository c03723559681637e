//! Names the cause of an attempt's outcome in plain words, backed by what was seen on the
//! wire, and says which retry would tell more. A pure function of one `Attempt`: the cause
//! codes are stable kebab-case strings (see DESIGN.md).

pub mod cause;
pub mod evidence;
pub mod limits;
pub mod policy;
pub mod retry;
pub mod tlsrpt;

use serde::Serialize;

pub use cause::Cause;
pub use retry::Retry;

use crate::cert::CertProblem;
use crate::event::{
    ConnectionEnd, EventKind, Failure, Incompatible, Phase, ProtocolFault, TlsFailure,
};
use crate::plan::{Plan, TlsMode};
use crate::session::Attempt;
use crate::wire::Dir;
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
    pub cause: Cause,
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
            cause: Cause::Running,
            summary: format!("still running ({})", a.phase().name()),
            evidence: vec![],
            next_steps: vec![],
        };
    };
    let mut d = match failure {
        None => success(a, &facts),
        Some(f) => failed(a, &facts, f, *phase),
    };
    d.evidence.extend(limits::drain_line(a));
    d.evidence.retain(|e| !e.is_empty());
    // A step that would run the very same plan again tells nothing new (TLS 1.2 only after
    // a TLS 1.2-only attempt), unless the step is "the same plan" on purpose.
    d.next_steps.retain(|s| !is_noop(a, s));
    // The strictest policy the domain publishes decides the headline, not our own client.
    let before = d.cause;
    // Judged once: the headline and the advisories read the same assessment.
    let assessed = crate::diagnose::policy::assess(a);
    if let Some(s) = &assessed {
        crate::diagnose::policy::headline(a, s, &mut d);
    }
    // A cause the policy decided has its fix, first: the attempt's own steps (a name fix for
    // verifying senders) come after it, or it stands alone. An MX certificate refused under
    // MTA-STS keeps the certificate's own step first ("renew the certificate ..."): it says
    // the same, precisely.
    let own_step_says_it = d.cause == Cause::MtaStsCertInvalid && before.is_certificate();
    if let Some(fix) = d.cause.policy_fix()
        && ((d.cause != before && !own_step_says_it) || d.next_steps.is_empty())
    {
        d.next_steps.insert(0, step(fix, None));
    }
    // Policies that do not stop delivery but are broken and reported: the fix for each.
    let advisories = assessed
        .as_ref()
        .map(|s| crate::diagnose::policy::advisories(a, s))
        .unwrap_or_default();
    for fix in advisories {
        if !d.next_steps.iter().any(|s| s.text == fix) {
            d.next_steps.push(step(fix, None));
        }
    }
    // The headline's words agree with its cause: "OK" is only ever said of `ok`.
    d.ok = d.ok && d.cause == Cause::Ok;
    d
}

/// The diagnosis of `a` as seen within `session`: steps whose answer is already in the
/// session (a plan some attempt already ran, a scan already made) are left out.
pub fn diagnose_in(session: &crate::session::Session, a: &Attempt) -> Diagnosis {
    let mut d = diagnose(a);
    d.next_steps.retain(|s| !already_answered(session, a, s));
    d
}

/// Plans are compared as the server sees them ([`Plan::effective`]): "TLS 1.2 only" is a
/// no-op when the chosen suites already leave nothing but TLS 1.2.
fn is_noop(a: &Attempt, s: &NextStep) -> bool {
    match (&s.retry, a.plan.as_ref()) {
        (Some(Retry::Same) | None, _) | (_, None) => false,
        (Some(r), Some(plan)) => r
            .apply(plan)
            .is_some_and(|p| p.effective() == plan.effective()),
    }
}

fn already_answered(session: &crate::session::Session, a: &Attempt, s: &NextStep) -> bool {
    let ran = |p: &Plan| {
        let p = p.effective();
        session
            .attempts
            .iter()
            .any(|b| b.plan.as_ref().is_some_and(|q| q.effective() == p))
    };
    match (&s.retry, a.plan.as_ref()) {
        (Some(Retry::Scan), _) => session.attempts.iter().any(|b| !b.scans.is_empty()),
        (Some(Retry::Same) | None, _) | (_, None) => false,
        (Some(r), Some(plan)) => r.apply(plan).is_some_and(|p| ran(&p)),
    }
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
    // With verification off the handshake completes; the certificate may still be bad, and
    // the headline is the one strict verification gives (it never depends on the switch).
    if let Some(v) = a.verdict.as_ref().filter(|v| !v.ok) {
        let (cause, _) = cert_cause(v.problem.as_ref());
        return Diagnosis {
            ok: false,
            phase: Phase::TlsHandshake,
            cause,
            summary: format!("certificate verification failed: {}", v.detail),
            evidence,
            next_steps: cert_steps(a, v.problem.as_ref()),
        };
    }
    let how = match a.plan.as_ref().map(|p| p.mode) {
        Some(TlsMode::Implicit) => "implicit TLS works",
        _ => "STARTTLS works",
    };
    let mut summary = format!("{how}: negotiated {what}");
    // Some senders and proxies give up on a banner long before Postfix's 300 s.
    if let Some(us) = banner_wait(a).filter(|us| *us >= SLOW_BANNER_US) {
        summary.push_str(&format!(
            "; but the banner took {}: senders and proxies with shorter greeting timeouts give up before it arrives",
            evidence::ms(us)
        ));
        evidence.insert(
            0,
            format!(
                "the banner arrived {} after the connection (Postfix waits up to 300 s, smtp_helo_timeout; many proxies and cloud senders wait far less)",
                evidence::ms(us)
            ),
        );
    }
    Diagnosis {
        ok: true,
        phase: Phase::Done,
        cause: Cause::Ok,
        summary,
        evidence,
        next_steps: vec![],
    }
}

/// A banner slower than this is worth a warning even when everything else works.
const SLOW_BANNER_US: u64 = 5_000_000;

/// How long the server took to send its banner after the connection was made.
fn banner_wait(a: &Attempt) -> Option<u64> {
    a.phase_durations(a.last_us)
        .into_iter()
        .find(|(p, _)| *p == Phase::Banner)
        .map(|(_, us)| us)
}

fn failed(a: &Attempt, facts: &Facts, f: &Failure, phase: Phase) -> Diagnosis {
    let plan = a.plan.as_ref();
    let mk =
        |cause: Cause, summary: String, evidence: Vec<String>, steps: Vec<NextStep>| Diagnosis {
            ok: false,
            phase,
            cause,
            summary,
            evidence,
            next_steps: steps,
        };
    let target = facts.peer_words();
    match f {
        Failure::DnsFailed { detail } => mk(
            Cause::DnsFailed,
            detail.clone(),
            vec![],
            vec![step("check the name, or ask another DNS server with --resolver IP:PORT", None)],
        ),
        // A null MX (RFC 7505) accepts no mail by design: senders must not try its
        // addresses, so an address family is beside the point.
        Failure::NoAddresses { detail, null_mx: true, .. } => mk(
            Cause::NoMx,
            detail.clone(),
            facts.mx_lines(),
            vec![step(
                "if this domain should receive mail, replace its null MX (MX 0 .) with the MX hosts that accept it (RFC 7505)",
                None,
            )],
        ),
        Failure::NoAddresses { detail, no_mx, .. } => mk(
            if *no_mx { Cause::NoMx } else { Cause::DnsFailed },
            detail.clone(),
            facts.mx_lines(),
            vec![step("try -4 or -6 if only one address family is missing", None)],
        ),
        Failure::ConnectRefused => mk(
            Cause::ConnectRefused,
            format!("{target} refused the TCP connection: nothing listens on that port"),
            facts.tried_lines(),
            vec![step("check the port (25 for MX, 465 implicit TLS, 587 submission)", None)],
        ),
        Failure::ConnectTimeout => mk(
            Cause::ConnectTimeout,
            format!("no answer to the TCP connection to {target}: a firewall drops the packets, or port 25 is blocked on the way out"),
            facts.tried_lines(),
            vec![step("try from another network, or with -4 / -6", None)],
        ),
        Failure::Unreachable { detail } => mk(
            Cause::Unreachable,
            format!("cannot reach {target}: {detail}"),
            facts.tried_lines(),
            vec![step("try the other address family (-4 / -6)", None)],
        ),
        Failure::Timeout => timeout(a, facts, phase, &mk),
        Failure::PeerClosed | Failure::PeerReset => closed(a, facts, f, phase, &mk),
        Failure::BadReply { code } => bad_reply(a, facts, *code, phase, &mk),
        Failure::NotSmtp {
            detail,
            looks_like_tls,
        } => {
            let tls_port = *looks_like_tls;
            let mut steps = vec![];
            if tls_port && plan.is_some_and(|p| p.mode == TlsMode::Starttls) {
                steps.push(step("the port speaks TLS first: retry with implicit TLS", Some(Retry::ImplicitTls)));
            }
            mk(Cause::NotSmtp, format!("the server's first bytes are not an SMTP reply: {detail}"), facts.transcript_tail(3), steps)
        }
        Failure::ReplyTooLong { lines, bytes } => mk(
            Cause::ReplyTooLong,
            if *lines == 0 {
                format!("a reply line went on for {} bytes without ending and was cut: a broken or hostile server", evidence::bytes(*bytes))
            } else {
                format!("a reply went on for {lines} lines / {} bytes and was cut: a broken or hostile server", evidence::bytes(*bytes))
            },
            facts.transcript_tail(2),
            vec![],
        ),
        Failure::StarttlsNotOffered => mk(
            Cause::StarttlsNotOffered,
            "the server does not offer STARTTLS: mail to it goes unencrypted (or bounces where TLS is required)".into(),
            vec![format!("EHLO keywords: {}", a.capabilities(false).join(", "))],
            vec![step("retry with implicit TLS on port 465, in case the server offers TLS there", Some(Retry::ImplicitTls))],
        ),
        Failure::PlaintextInjection => {
            let (n, preview) = a.injected.clone().unwrap_or_default();
            mk(
                Cause::PlaintextInjection,
                format!("{n} bytes arrived after the 220 to STARTTLS and before the handshake: plaintext an attacker (or a broken proxy) injected; they were not given to TLS"),
                vec![format!("injected: {preview}")],
                vec![step("look for a proxy or firewall doing SMTP inspection in front of the server", None)],
            )
        }
        Failure::Tls { error, failure } => tls_failure(a, facts, error, failure, phase, &mk),
        Failure::Config { detail } => mk(Cause::InternalError, format!("the attempt could not be set up: {detail}"), vec![], vec![]),
        Failure::Io { detail } => mk(Cause::InternalError, format!("I/O error: {detail}"), facts.transcript_tail(2), vec![]),
        Failure::Cancelled => mk(Cause::Cancelled, format!("cancelled during {}", phase.name()), vec![], vec![step("retry the same plan", Some(Retry::Same))]),
    }
}

type Mk<'a> = &'a dyn Fn(Cause, String, Vec<String>, Vec<NextStep>) -> Diagnosis;

fn timeout(a: &Attempt, facts: &Facts, phase: Phase, mk: Mk) -> Diagnosis {
    if let Some((hit, summary)) =
        limits::deadline(a).and_then(|h| limits::deadline_summary(h).map(|s| (h, s)))
    {
        let (cause, evidence) = match (hit.limit, phase) {
            (crate::event::Limit::Attempt, _) => (Cause::Timeout, facts.transcript_tail(4)),
            (_, Phase::Banner) => (Cause::BannerTimeout, facts.transcript_tail(2)),
            (_, Phase::TlsHandshake | Phase::Certificate) => {
                (Cause::HandshakeTimeout, facts.handshake_lines())
            }
            _ => (Cause::Timeout, facts.transcript_tail(2)),
        };
        return mk(
            cause,
            summary,
            evidence,
            vec![step(
                "the server, or something in front of it, is holding the connection on purpose (a tarpit) or is badly overloaded: compare with another MX",
                None,
            )],
        );
    }
    let secs = a
        .plan
        .as_ref()
        .map(|p| p.timeouts.reply.as_secs_f64())
        .unwrap_or(0.0);
    match phase {
        Phase::Banner => mk(
            Cause::BannerTimeout,
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
            Cause::HandshakeTimeout,
            // "after …" already holds the wait ("3.0 s after our ClientHello"): once only.
            match facts.after_last_record() {
                after if after.starts_with("before ") => {
                    format!("the TLS handshake stalled for {secs:.1} s {after}")
                }
                after => format!("the TLS handshake stalled: nothing came {after}"),
            },
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
            Cause::Timeout,
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
                Cause::PeerResetDuringHandshake
            } else {
                Cause::PeerClosedDuringHandshake
            };
            let mut steps = Vec::new();
            let offered_pq = facts.client_hello().is_some_and(|ch| {
                ch.groups
                    .iter()
                    .any(|g| crate::wire::names::is_post_quantum(g))
            });
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
            Cause::ConnectionClosed,
            format!(
                "the server {how} before sending its banner: it refuses connections from this address (blocklist, rate limit) or is overloaded"
            ),
            facts.tried_lines(),
            vec![step(
                "retry later, or from another address with --source",
                None,
            )],
        ),
        Phase::PostTls if client_cert_refused(a) => mk(
            Cause::ClientCertRequired,
            format!(
                "the server asked for a client certificate, we had none, and it {how} after the handshake"
            ),
            client_cert_evidence(a, facts.transcript_tail(3)),
            client_cert_steps(),
        ),
        _ => mk(
            if phase == Phase::PostTls {
                Cause::PostTlsFailure
            } else {
                Cause::ConnectionClosed
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
    // Quote the reply that failed, never the 221 to our QUIT after it.
    let last = facts.failed_reply_text();
    let exchange = facts.failed_exchange();
    match phase {
        Phase::Banner if (400..500).contains(&code) => mk(
            Cause::ServiceUnavailable,
            format!(
                "the server greeted with {code} instead of 220: it will not take mail from us for now ({last})"
            ),
            exchange,
            vec![step(
                "retry later: a 421 banner is a temporary refusal (rate limit, overload, or a blocklist hit the server treats as temporary)",
                Some(Retry::Same),
            )],
        ),
        Phase::Banner if (500..600).contains(&code) => mk(
            Cause::ServiceUnavailable,
            format!(
                "the server greeted with {code}: it refuses to talk to this client at all ({last})"
            ),
            exchange,
            vec![step(
                "a 5xx banner is a permanent refusal of this sending address (RFC 5321 §3.1): check the blocklists the server uses (the banner text often names one) and ask its admins; retrying will not help",
                None,
            )],
        ),
        Phase::Banner => mk(
            Cause::NotSmtp,
            format!("the server greeted with {code} instead of 220 ({last})"),
            exchange,
            vec![],
        ),
        Phase::Ehlo => mk(
            Cause::EhloRejected,
            format!(
                "the server rejected EHLO {}: {last}",
                a.plan.as_ref().map(|p| p.ehlo.as_str()).unwrap_or("")
            ),
            exchange,
            vec![step(
                "retry with a fully qualified EHLO name that resolves to this address (--ehlo)",
                Some(Retry::EditEhlo),
            )],
        ),
        Phase::Starttls => mk(
            Cause::StarttlsRejected,
            // The reply carries its code: quote it once.
            if last.starts_with(&code.to_string()) {
                format!("the server offered STARTTLS but refused it: {last}")
            } else {
                format!("the server offered STARTTLS but refused it with {code}: {last}")
            },
            exchange,
            vec![step(
                "a 454 means a server-side TLS problem (missing key or certificate file, broken TLS library): tell the server's admins",
                None,
            )],
        ),
        _ if client_cert_refused(a) => mk(
            Cause::ClientCertRequired,
            format!(
                "the server asked for a client certificate, we had none, and after the handshake it answered {code}: {last}"
            ),
            client_cert_evidence(a, exchange),
            client_cert_steps(),
        ),
        // Postfix completes the handshake with a certificate it does not trust and refuses
        // afterwards ("421 4.7.1 ... Client certificate not trusted"): the refusal is the
        // fact, the certificate the likely reason, and checking it a step not yet taken.
        _ if a.client_cert_requested == Some(true) => mk(
            Cause::PostTlsFailure,
            format!(
                "TLS worked with the client certificate from --cert, but the server then answered {code} over TLS: {last}"
            ),
            client_cert_evidence(a, exchange),
            vec![step(
                "a server that requires client certificates refuses this way when it does not accept the one sent: check that it is valid and issued by a CA the server named in its CertificateRequest (or use another: --cert FILE --key FILE)",
                None,
            )],
        ),
        _ => mk(
            Cause::PostTlsFailure,
            format!("TLS worked, but the server answered {code} over TLS: {last}"),
            exchange,
            vec![],
        ),
    }
}

/// Postfix with `smtpd_tls_req_ccert = yes` completes the handshake without a client
/// certificate and refuses afterwards (421 to the EHLO over TLS, or a close): the request
/// we could not answer plus a refusal after the handshake is the cause.
fn client_cert_refused(a: &Attempt) -> bool {
    a.client_cert_requested == Some(false)
}

fn client_cert_evidence(a: &Attempt, mut rest: Vec<String>) -> Vec<String> {
    let mut v: Vec<String> = a
        .events()
        .filter_map(|e| match &e.kind {
            EventKind::ClientCertRequested { issuers, offered } => Some(format!(
                "+{} the server asked for a client certificate ({issuers} acceptable issuer name{}); {}",
                evidence::ms(e.at_us),
                if *issuers == 1 { "" } else { "s" },
                if *offered {
                    "we sent the one from --cert"
                } else {
                    "we had none to send"
                }
            )),
            _ => None,
        })
        .collect();
    v.append(&mut rest);
    v
}

fn tls_failure(
    a: &Attempt,
    facts: &Facts,
    error: &str,
    failure: &TlsFailure,
    phase: Phase,
    mk: Mk,
) -> Diagnosis {
    let plan = a.plan.as_ref();
    let server_hello = facts.server_hello().is_some();
    let evidence = facts.handshake_lines();
    if *failure == TlsFailure::Certificate {
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
    if let TlsFailure::Alert { description } = failure {
        use rustls::AlertDescription as A;
        let alert = crate::wire::names::alert_name(*description);
        let restricted_suites = plan.is_some_and(|p| !p.tls.cipher_suites.is_empty());
        let restricted_groups = plan.is_some_and(|p| !p.tls.groups.is_empty());
        let asked_cert = a.client_cert_requested == Some(false);
        let (cause, summary, steps): (Cause, String, Vec<NextStep>) = match A::from(*description) {
            A::CertificateRequired => (
                Cause::ClientCertRequired,
                "the server requires a client certificate and we sent none".into(),
                client_cert_steps(),
            ),
            A::HandshakeFailure | A::BadCertificate if asked_cert => (
                Cause::ClientCertRequired,
                format!(
                    "the server asked for a client certificate, we had none, and it ended the handshake with {alert}"
                ),
                client_cert_steps(),
            ),
            A::ProtocolVersion => (
                Cause::NoSharedVersion,
                format!(
                    "the server refused every TLS version we offered ({}) with a protocol_version alert",
                    facts.offered_versions()
                ),
                version_steps(plan),
            ),
            A::InsufficientSecurity => (
                Cause::NoSharedCipher,
                "the server found none of our cipher suites strong enough (insufficient_security)"
                    .into(),
                suite_steps(),
            ),
            A::HandshakeFailure if !server_hello && restricted_groups && !restricted_suites => (
                Cause::NoSharedGroup,
                format!(
                    "the server refused our ClientHello (handshake_failure): none of our key-exchange groups ({}) is acceptable to it",
                    facts.offered_groups()
                ),
                group_steps(),
            ),
            // GnuTLS answers a version mismatch with handshake_failure too (OpenSSL with
            // protocol_version): which parameter it is, a scan or a retry decides.
            A::HandshakeFailure if !server_hello => (
                Cause::NoSharedParameters,
                format!(
                    "the server refused our ClientHello with handshake_failure before choosing anything: no version, cipher suite or group in common (we offered {}); which one, a scan of what it accepts tells",
                    facts.offered_versions()
                ),
                parameter_steps(),
            ),
            _ => (
                Cause::TlsAlert,
                format!("the server ended the handshake with a fatal {alert} alert"),
                vec![step(
                    "scan what the server accepts (tlsdive scan)",
                    Some(Retry::Scan),
                )],
            ),
        };
        return mk(cause, summary, evidence, steps);
    }
    if let TlsFailure::Incompatible { what } = failure {
        let (cause, summary, steps) = if *what == Incompatible::Version {
            (
                Cause::NoSharedVersion,
                format!(
                    "the server answered with a version we did not offer or cannot speak ({}): {error}",
                    facts.server_version_words()
                ),
                version_steps(plan),
            )
        } else if *what == Incompatible::KeyExchangeGroups {
            (
                Cause::NoSharedGroup,
                format!("no key-exchange group in common: {error}"),
                group_steps(),
            )
        } else if *what == Incompatible::CipherSuites {
            (
                Cause::NoSharedCipher,
                format!("no cipher suite in common: {error}"),
                suite_steps(),
            )
        } else {
            (
                Cause::TlsProtocolError,
                format!("the server's handshake is not something we can accept: {error}"),
                vec![step(
                    "scan what the server accepts (tlsdive scan)",
                    Some(Retry::Scan),
                )],
            )
        };
        return mk(cause, summary, evidence, steps);
    }
    if *failure
        == (TlsFailure::Protocol {
            what: ProtocolFault::HandshakeTooFragmented,
        })
    {
        let tiny = a
            .records()
            .filter(|(_, d, r)| *d == Dir::Server && r.content_type == "handshake" && r.length <= 1)
            .count();
        let count = if tiny >= crate::wire::MAX_RECORDS {
            format!("more than {}", evidence::bytes(tiny))
        } else {
            evidence::bytes(tiny)
        };
        return mk(
            Cause::TlsProtocolError,
            format!(
                "the server split its handshake into {count} records of 1 byte each; rustls buffers at most 64 KiB of a handshake flight as it arrives (six bytes on the wire per byte here) and gave up ({error}). TLS allows fragments, but no sender buffers without limit: this is the server's (or a middlebox's) doing"
            ),
            evidence,
            vec![step(
                "look for a middlebox re-fragmenting TLS in front of the server, or compare with openssl s_client",
                None,
            )],
        );
    }
    if let (true, Some((line, after_us))) = (facts.server_sent_non_tls(), &a.late_reply) {
        return mk(
            Cause::NotTls,
            format!(
                "the server's first bytes after its 220 to STARTTLS are an SMTP reply, not TLS: \"{line}\" ({} after the 220, too late to be caught as plaintext before the handshake). Either the server answers out of turn (a late reply, or our ClientHello read as a command: its STARTTLS does not really start TLS) or something on the path injected it",
                evidence::ms(*after_us)
            ),
            evidence,
            vec![
                step(
                    "retry: the same reply every time points at the server's STARTTLS; a changing one at something on the path",
                    Some(Retry::Same),
                ),
                step(
                    "look for a proxy or firewall doing SMTP inspection in front of the server",
                    None,
                ),
            ],
        );
    }
    if facts.server_sent_non_tls() {
        return mk(
            Cause::NotTls,
            format!(
                "the server answered the ClientHello with bytes that are not TLS ({})",
                facts.non_tls_words()
            ),
            evidence,
            match plan.map(|p| p.mode) {
                Some(TlsMode::Implicit) => vec![step(
                    "this port does not speak TLS first: it is a plain SMTP/STARTTLS port; probe it with STARTTLS instead",
                    None,
                )],
                _ => vec![step(
                    "the server announced STARTTLS but does not speak TLS after its 220 (or a proxy in between interferes)",
                    None,
                )],
            },
        );
    }
    let cause = if phase == Phase::PostTls {
        Cause::PostTlsFailure
    } else if matches!(failure, TlsFailure::Protocol { .. }) {
        Cause::TlsProtocolError
    } else {
        Cause::TlsAlert
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

/// `no-shared-parameters`: the versions first (the commonest mismatch, and GnuTLS's
/// handshake_failure hides it), which also shows the suites seen per version.
fn parameter_steps() -> Vec<NextStep> {
    vec![
        step(
            "scan which versions and suites the server accepts (a TLS 1.0-only server, RSA key exchange only, or no common group all end this way)",
            Some(Retry::Scan),
        ),
        step(
            "retry with TLS 1.2 only (some servers mis-handle TLS 1.3)",
            Some(Retry::Tls12Only),
        ),
    ]
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

pub(crate) fn cert_cause(p: Option<&CertProblem>) -> (Cause, &'static str) {
    match p {
        Some(CertProblem::Expired { .. }) => (Cause::CertExpired, "expired"),
        Some(CertProblem::NotYetValid { .. }) => (Cause::CertNotYetValid, "not yet valid"),
        Some(CertProblem::NameMismatch { .. }) => (Cause::CertNameMismatch, "name mismatch"),
        Some(CertProblem::SelfSigned) => (Cause::CertSelfSigned, "self-signed"),
        Some(CertProblem::ChainIncomplete { .. }) => {
            (Cause::CertChainIncomplete, "chain incomplete")
        }
        Some(CertProblem::UnknownIssuer { .. }) => (Cause::CertUntrusted, "untrusted issuer"),
        _ => (Cause::CertUntrusted, "not trusted"),
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
    // Since tlsdive goes on past a failed verification by itself, the step is for older
    // recordings only.
    if verify_on && a.negotiated.is_none() && a.past_failed_verification.is_none() {
        v.push(step("retry without verification to complete the handshake and see the rest (opportunistic senders do this)", Some(Retry::NoVerify)));
    }
    v
}

#[cfg(test)]
mod tests;
