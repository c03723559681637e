//! Whether a sender gets through, judged as its own TLS library would: first the server's
//! answer to its hello (the version, suite and group it chose, the key exchange's signature
//! against the sender's security level), then what the session's completed handshake showed
//! after the hello (a client certificate required, a refusal after the handshake, the
//! certificate against this sender's verification policy). Pure: no I/O.

use super::profile::{SenderProfile, Verify};
use crate::diagnose::Cause;
use crate::diagnose::policy::PolicyVerdict;
use crate::event::Phase;
use crate::profile::sender::SenderResult;
use crate::scan::answer::{Answer, Chosen, LEGACY_SIGNATURE};
use crate::session::Attempt;
use crate::wire::names::suite_name;
use crate::wire::names::{group_name, signature_scheme_name, version_name};

/// SHA-1 signature schemes (rsa_pkcs1_sha1, dsa_sha1, ecdsa_sha1).
const SHA1_SCHEMES: [u16; 3] = [0x0201, 0x0202, 0x0203];

/// What this sender's library makes of the server's answer to its hello.
pub fn judge(p: &SenderProfile, answer: &Answer, hello_bytes: usize) -> SenderResult {
    let mut r = SenderResult {
        name: p.name.clone(),
        accepted: false,
        version: None,
        cipher_suite: None,
        group: None,
        answer: answer.describe(),
        hello_bytes,
        blocked: None,
        verify: p.verify,
        captured: p.captured,
    };
    let (c, broken) = match answer {
        Answer::Hello(c) => (c, None),
        Answer::BrokenFlight { hello, why } => (hello, Some(why)),
        _ => return r,
    };
    r.version = Some(version_name(c.version));
    r.cipher_suite = Some(suite_name(c.suite));
    r.group = c.group.map(group_name);
    r.blocked = library_refuses(p, c).or_else(|| {
        broken.map(|why| format!("the server's handshake breaks after its ServerHello: {why}"))
    });
    r.accepted = r.blocked.is_none();
    r
}

/// The rule of this sender's library that the server's choice breaks, in words.
fn library_refuses(p: &SenderProfile, c: &Chosen) -> Option<String> {
    if !p.cipher_suites.contains(&c.suite) {
        return Some(format!(
            "the server chose {}, which this sender did not offer: it aborts",
            suite_name(c.suite)
        ));
    }
    if c.retry {
        // The sender would send a second hello with a share for that group.
        return match c.group {
            Some(g) if p.groups.contains(&g) => None,
            g => Some(format!(
                "the server asked for a key share for {}, a group this sender does not offer",
                g.map(group_name).unwrap_or_else(|| "no group".into())
            )),
        };
    }
    if !p.offers_version(c.version) {
        return Some(format!(
            "the server chose {}, which this sender did not offer: it aborts",
            version_name(c.version)
        ));
    }
    match c.kx_signature {
        Some(LEGACY_SIGNATURE) if !p.sha1_signatures => Some(format!(
            "{} signs the key exchange with MD5+SHA-1/SHA-1, which this sender's library refuses at its security level (OpenSSL: \"legacy sigalg disallowed or unsupported\")",
            version_name(c.version)
        )),
        Some(LEGACY_SIGNATURE) | None => None,
        Some(s) if !p.signature_algorithms.is_empty() && !p.signature_algorithms.contains(&s) => {
            Some(format!(
                "the server signed its key exchange with {}, which this sender did not offer",
                signature_scheme_name(s)
            ))
        }
        Some(s) if SHA1_SCHEMES.contains(&s) && !p.sha1_signatures => Some(format!(
            "the server signed its key exchange with {}, which this sender's library refuses at its security level (\"legacy sigalg disallowed\")",
            signature_scheme_name(s)
        )),
        Some(_) => None,
    }
}

/// What the session's handshake showed after the hello, for every sender alike.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AfterHello {
    /// The server requires a client certificate: no sender profile sends one.
    pub client_cert_required: Option<String>,
    /// The server refused after the handshake (a 4xx/5xx or a close over TLS).
    pub refused_after: Option<String>,
    /// The server's flight after its hello is broken for any client (a garbage certificate).
    pub broken: Option<String>,
    /// The certificate's PKIX defect, for senders that verify it.
    pub pkix_defect: Option<String>,
    /// The DANE verdict, for senders that check TLSA.
    pub dane: Option<PolicyVerdict>,
}

/// The facts of a finished attempt (the probe `scan --senders` runs beside the hellos, or
/// the attempt a scan was started from).
pub fn after_hello(a: &Attempt) -> AfterHello {
    let d = crate::diagnose::diagnose(a);
    let mut out = AfterHello {
        pkix_defect: a
            .verdict
            .as_ref()
            .filter(|v| !v.ok)
            .map(|v| v.detail.clone()),
        dane: crate::diagnose::policy::assess(a).map(|s| s.dane.verdict),
        ..AfterHello::default()
    };
    let reached_tls = a.negotiated.is_some();
    match d.cause {
        Cause::ClientCertRequired => out.client_cert_required = Some(d.summary),
        Cause::PostTlsFailure | Cause::ServiceUnavailable | Cause::ConnectionClosed
            if reached_tls =>
        {
            out.refused_after = Some(d.summary)
        }
        Cause::TlsProtocolError | Cause::NotTls if d.phase == Phase::TlsHandshake => {
            out.broken = Some(d.summary)
        }
        _ => {}
    }
    out
}

/// Folds the session's facts into each sender that got past its hello.
pub fn apply(results: &mut [SenderResult], facts: &AfterHello) {
    for r in results.iter_mut().filter(|r| r.accepted) {
        let verify = match (r.verify, facts.dane) {
            (Verify::Pkix, _) => facts.pkix_defect.as_ref().map(|d| {
                format!("this sender verifies the certificate and aborts: {d}")
            }),
            (Verify::Dane, Some(PolicyVerdict::DaneMismatch)) => Some(
                "this sender checks the TLSA records and none matches the certificate: it defers the mail".into(),
            ),
            (Verify::Dane, Some(PolicyVerdict::DnssecBogus)) => Some(
                "the domain's DNSSEC is bogus: a DANE sender defers the mail".into(),
            ),
            _ => None,
        };
        r.blocked = facts
            .client_cert_required
            .as_ref()
            .map(|w| {
                format!("the server requires a client certificate and this sender sends none ({w})")
            })
            .or_else(|| {
                facts
                    .broken
                    .as_ref()
                    .map(|w| format!("the server's handshake breaks after its hello: {w}"))
            })
            .or(verify)
            .or_else(|| {
                facts
                    .refused_after
                    .as_ref()
                    .map(|w| format!("the server refuses after the handshake: {w}"))
            });
        r.accepted = r.blocked.is_none();
    }
}

/// Folds a finished attempt to the same server into a senders run: each sender that got past
/// its hello is judged against what that handshake showed, and the verdict is redrawn.
pub fn fold_attempt(p: &mut crate::profile::Profile, a: &Attempt) {
    apply(&mut p.senders, &after_hello(a));
    p.verdict = super::verdict(&p.senders, p.stopped.as_deref());
}
