//! What the case needs to know of one finished attempt, read off its events and diagnosis:
//! how it ended (answered, refused with an alert, dropped without one), how big our
//! ClientHello was and whether it carried a post-quantum key share.

use crate::diagnose::{self, Cause, evidence::Facts};
use crate::event::{ConnectionEnd, Phase};
use crate::plan::diff::{Field, diff};
use crate::plan::{Plan, Sni, TlsMode, TlsVersion};
use crate::session::Attempt;
use crate::wire::Dir;

/// How an attempt's handshake ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Negotiated (whatever came after).
    Negotiated,
    /// The server closed, reset or went silent after our hello, with no alert.
    Dropped,
    /// The server answered with an alert or a choice we could not accept.
    Refused,
    /// It ended before the handshake, or otherwise.
    Other,
}

#[derive(Debug, Clone)]
pub struct Observation {
    pub plan: Option<Plan>,
    pub cause: Cause,
    pub summary: String,
    /// A few words for the steps list.
    pub short: String,
    pub outcome: Outcome,
    pub hello_size: Option<usize>,
    pub post_quantum: bool,
    pub reached_handshake: bool,
    /// The server sent anything TLS after our hello (a ServerHello or an alert).
    pub server_answered_hello: bool,
}

impl Observation {
    pub fn of(a: &Attempt) -> Observation {
        let d = diagnose::diagnose(a);
        let facts = Facts::of(a);
        let hello = facts.client_hello();
        let server_answered_hello =
            a.records().any(|(_, dir, _)| dir == Dir::Server) && !facts.server_sent_non_tls();
        let reached_handshake = hello.is_some()
            || a.phases
                .iter()
                .any(|(p, _)| matches!(p, Phase::TlsHandshake));
        let outcome = match d.cause {
            _ if a.negotiated.is_some() => Outcome::Negotiated,
            Cause::PeerClosedDuringHandshake
            | Cause::PeerResetDuringHandshake
            | Cause::HandshakeTimeout => Outcome::Dropped,
            c if reached_handshake
                && (matches!(
                    c,
                    Cause::NoSharedVersion
                        | Cause::NoSharedCipher
                        | Cause::NoSharedGroup
                        | Cause::NoSharedParameters
                        | Cause::TlsAlert
                        | Cause::ClientCertRequired
                ) || c.is_certificate()) =>
            {
                Outcome::Refused
            }
            _ => Outcome::Other,
        };
        let short = match (outcome, hello) {
            (Outcome::Dropped, Some(h)) => format!(
                "{} after the {}-byte ClientHello, no alert",
                match a.ended {
                    Some((ConnectionEnd::Rst, _)) => "RST",
                    Some((ConnectionEnd::Fin, _)) => "FIN",
                    _ => "silence",
                },
                diagnose::evidence::bytes(h.size)
            ),
            _ => crate::sanitize::cap(&d.summary, 120),
        };
        Observation {
            plan: a.plan.clone(),
            cause: d.cause,
            summary: d.summary,
            short,
            outcome,
            hello_size: hello.map(|h| h.size),
            post_quantum: hello.is_some_and(|h| {
                h.key_shares
                    .iter()
                    .any(|(g, _)| crate::wire::names::is_post_quantum(g))
            }),
            reached_handshake,
            server_answered_hello,
        }
    }
}

/// "TLS 1.2 only", "without the post-quantum key share", ... : how `p` differs from `first`
/// (the fields `plan::diff` finds, in the words of a step).
pub fn change_words(first: &Plan, p: &Plan) -> String {
    let mut words = Vec::new();
    for field in diff(first, p) {
        let said = match field {
            // A target or address family change is not an experiment the case runs.
            Field::Target | Field::Family => continue,
            Field::Versions => match p.tls.versions.as_slice() {
                [TlsVersion::Tls12] => "TLS 1.2 only".to_string(),
                [TlsVersion::Tls13] => "TLS 1.3 only".to_string(),
                _ => "TLS 1.2 and 1.3".to_string(),
            },
            Field::Groups => {
                let pq = |g: &[String]| {
                    g.is_empty() || g.iter().any(|x| crate::wire::names::is_post_quantum(x))
                };
                if pq(&first.tls.groups) && !pq(&p.tls.groups) {
                    "without the post-quantum key share".to_string()
                } else if p.tls.groups.is_empty() {
                    "default groups".to_string()
                } else {
                    format!("groups {}", p.tls.groups.join(", "))
                }
            }
            Field::Suites if p.tls.cipher_suites.is_empty() => "default suites".to_string(),
            Field::Suites => format!("suites {}", p.tls.cipher_suites.join(", ")),
            Field::Sni => match &p.tls.sni {
                Sni::Auto => "SNI: the host name".to_string(),
                Sni::Off => "no SNI".to_string(),
                Sni::Name(n) => format!("SNI {n}"),
            },
            Field::Verify if p.tls.verify => "verification on".to_string(),
            Field::Verify => "verification off".to_string(),
            // Mode and port are one change: where and how TLS starts.
            Field::Mode | Field::Port => {
                let said = match p.mode {
                    TlsMode::Implicit => format!("implicit TLS on port {}", p.port),
                    TlsMode::Starttls => format!("STARTTLS on port {}", p.port),
                };
                if words.contains(&said) {
                    continue;
                }
                said
            }
            Field::Ehlo => format!("EHLO {}", p.ehlo),
            Field::Address => match p.address {
                Some(a) => format!("address {a}"),
                None => "any address".to_string(),
            },
            Field::Timeouts => format!("timeout {} s", p.timeouts.reply.as_secs()),
        };
        words.push(said);
    }
    if words.is_empty() {
        "the same plan again".to_string()
    } else {
        words.join(", ")
    }
}
