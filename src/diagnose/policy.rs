//! Judging the policy facts of one attempt: the DANE verdict for the MX actually probed, the
//! MTA-STS verdict, the TLS-RPT destinations, and whether each kind of sender would deliver.
//! Pure: a function of the `Attempt` (the DANE-TA chain is checked at the time the TLSA
//! lookup was made, carried in its event).

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls_pki_types::pem::PemObject;
use serde::Serialize;

use crate::event::Failure;
use crate::policy::mta_sts::{self, Mode, Policy};
use crate::policy::tlsa::{self, TlsaCheck, TlsaOutcome};
use crate::policy::{Dnssec, TlsaLookup, tls_rpt};
use crate::session::Attempt;
use crate::tlsrpt::{PolicyType, ResultType};

/// A policy verdict, serialised as its stable kebab-case code (see DESIGN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PolicyVerdict {
    DaneValid,
    DaneMismatch,
    DaneUnusable,
    DnssecBogus,
    /// The DNSSEC state could not be decided (lookup failed, chain of trust not fetched).
    DnssecIndeterminate,
    DaneInsecure,
    DaneNone,
    /// TLSA records apply but no certificate was seen to match them against.
    DaneUnchecked,
    StsEnforceOk,
    StsTesting,
    StsNone,
    StsMxMismatch,
    StsPolicyUnavailable,
    StsCertInvalid,
}

impl PolicyVerdict {
    /// The cause this verdict decides, when it is one of the policy causes.
    pub fn cause(&self) -> crate::diagnose::Cause {
        crate::diagnose::Cause::from_code(self.code()).unwrap_or(crate::diagnose::Cause::Ok)
    }

    pub fn code(&self) -> &'static str {
        match self {
            PolicyVerdict::DaneValid => "valid",
            PolicyVerdict::DaneMismatch => "dane-mismatch",
            PolicyVerdict::DaneUnusable => "dane-unusable",
            PolicyVerdict::DnssecBogus => "dnssec-bogus",
            PolicyVerdict::DnssecIndeterminate => "dnssec-indeterminate",
            PolicyVerdict::DaneInsecure => "insecure",
            PolicyVerdict::DaneNone | PolicyVerdict::StsNone => "none",
            PolicyVerdict::DaneUnchecked => "unchecked",
            PolicyVerdict::StsEnforceOk => "enforce-ok",
            PolicyVerdict::StsTesting => "testing",
            PolicyVerdict::StsMxMismatch => "mta-sts-mx-mismatch",
            PolicyVerdict::StsPolicyUnavailable => "mta-sts-policy-unavailable",
            PolicyVerdict::StsCertInvalid => "mta-sts-cert-invalid",
        }
    }
}

/// The DANE judgement for the probed MX.
#[derive(Debug, Clone, PartialEq)]
pub struct Dane {
    pub verdict: PolicyVerdict,
    pub host: Option<String>,
    pub lookup: Option<TlsaLookup>,
    /// Records matched against the sent chain (also when DNSSEC makes them not count, so the
    /// engineer sees what they would do).
    pub check: Option<TlsaCheck>,
    pub summary: String,
}

impl Dane {
    /// What a DANE sender checked to call this chain valid: DANE-EE (3) pins the key and
    /// ignores names and dates; DANE-TA (2) pins a trust anchor, and the chain to it must
    /// name the MX host. Said after the record that matched.
    pub fn rule(&self) -> &'static str {
        let matched = self
            .check
            .as_ref()
            .into_iter()
            .flat_map(|c| c.records.iter())
            .filter(|r| r.matched.is_some() && r.note.is_none())
            .map(|r| r.record.usage);
        let usages: Vec<u8> = matched.collect();
        if usages.contains(&3) {
            "DANE-EE ignores names and dates, RFC 7672 §3.1.1"
        } else if usages.contains(&2) {
            "DANE-TA: the chain leads to that trust anchor and names the MX host, RFC 7672 §3.1.2"
        } else {
            "RFC 7672"
        }
    }
}

/// The MTA-STS judgement for the probed MX.
#[derive(Debug, Clone, PartialEq)]
pub struct Sts {
    pub verdict: PolicyVerdict,
    pub id: Option<String>,
    pub policy: Option<Policy>,
    pub summary: String,
}

/// Whether one kind of sender would deliver to the probed MX, and what it would put in its
/// TLS report (RFC 8460) about this session, so the row joins a line of a received report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SenderRow {
    pub policy: &'static str,
    /// `None`: cannot tell from what was seen.
    pub delivers: Option<bool>,
    pub why: String,
    /// The policy type this sender reports the session under: `tlsa` or `sts` only when it
    /// applies that policy to this MX, else `no-policy-found`.
    #[serde(serialize_with = "policy_type_code")]
    pub tlsrpt_policy: PolicyType,
    /// The result-type it would count this session as a failure with; `None` when its TLS
    /// session succeeds by its own rules, or the session never got as far as TLS (RFC 8460
    /// has no type for DNS, TCP or SMTP failures) or cannot be judged.
    pub tlsrpt_result_type: Option<ResultType>,
}

fn policy_type_code<S: serde::Serializer>(p: &PolicyType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(p.code())
}

/// Everything the policy facts say about an attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub dane: Dane,
    pub sts: Sts,
    pub rua: Vec<String>,
    pub rua_summary: String,
    pub senders: Vec<SenderRow>,
}

/// Judge the policy facts of `a`; `None` when no policy lookup was made.
pub fn assess(a: &Attempt) -> Option<Assessment> {
    if !a.policy.any() {
        return None;
    }
    let dane = dane(a);
    let sts = sts(a);
    let (rua, rua_summary) = match &a.policy.tls_rpt {
        None => (vec![], "not looked up".to_string()),
        Some(l) => match (&l.error, tls_rpt::parse(&l.txt)) {
            (Some(e), _) => (vec![], format!("lookup of {} failed: {e}", l.name)),
            (None, Ok(r)) => (r.rua.clone(), format!("reports go to {}", r.rua.join(", "))),
            (None, Err(e)) => (vec![], format!("{}: {e}", l.name)),
        },
    };
    let senders = senders(a, &dane, &sts);
    Some(Assessment {
        dane,
        sts,
        rua,
        rua_summary,
        senders,
    })
}

/// Put the headline where the strictest policy the domain publishes puts it (DESIGN.md, "Judge
/// like the sender"): DANE when a secure usable TLSA RRset exists, else MTA-STS enforce, else
/// the certificate's own defects, which `d` already holds. A failure that hurts every sender
/// (no connection, no shared cipher, ...) stays the headline; a certificate defect that only
/// verifying senders mind is still told, with whom it hurts.
pub fn headline(a: &Attempt, s: &Assessment, d: &mut crate::diagnose::Diagnosis) {
    use crate::diagnose::Cause;
    let cert_only = d.cause.is_certificate();
    if !(d.ok || cert_only) {
        return;
    }
    let works = reach(a) == Reach::Tls;
    let handshake = if works {
        " (the handshake itself works)"
    } else {
        ""
    };
    let defect = a
        .verdict
        .as_ref()
        .filter(|v| !v.ok)
        .map(|v| v.detail.clone());
    let sts_fails = matches!(
        s.sts.verdict,
        PolicyVerdict::StsMxMismatch | PolicyVerdict::StsCertInvalid
    );
    let set = |d: &mut crate::diagnose::Diagnosis, cause: Cause, summary: String| {
        d.ok = cause == Cause::Ok;
        d.cause = cause;
        d.summary = summary;
    };
    match s.dane.verdict {
        PolicyVerdict::DnssecBogus | PolicyVerdict::DaneMismatch => {
            set(
                d,
                s.dane.verdict.cause(),
                format!("{}{handshake}", s.dane.summary),
            );
        }
        PolicyVerdict::DaneValid if works => {
            let mut summary = format!(
                "a DANE sender delivers: {} ({})",
                s.dane.summary,
                s.dane.rule()
            );
            if let Some(defect) = &defect {
                // MTA-STS senders check the certificate only where a policy is published.
                let who = if matches!(
                    s.sts.verdict,
                    PolicyVerdict::StsEnforceOk
                        | PolicyVerdict::StsTesting
                        | PolicyVerdict::StsMxMismatch
                        | PolicyVerdict::StsCertInvalid
                ) {
                    "mandatory PKIX, MTA-STS"
                } else {
                    "mandatory PKIX"
                };
                summary.push_str(&format!(
                    "; the certificate's own defect still hurts senders that verify it instead \
                     ({who}): {defect}"
                ));
            }
            if sts_fails {
                summary.push_str(&format!(
                    "; MTA-STS enforce senders that do not do DANE defer: {}",
                    s.sts.summary
                ));
            }
            set(d, Cause::Ok, summary);
            d.phase = crate::event::Phase::Done;
        }
        // Never "ok" on a DANE verdict nobody could judge; a known certificate defect stays
        // the headline, with the DANE question beside it.
        PolicyVerdict::DnssecIndeterminate if !cert_only => {
            let was = d.summary.clone();
            set(
                d,
                Cause::DnssecIndeterminate,
                format!(
                    "the DANE verdict could not be judged ({}); {was}",
                    s.dane.summary
                ),
            );
        }
        PolicyVerdict::DnssecIndeterminate => {
            d.summary
                .push_str(&format!("; DANE could not be judged: {}", s.dane.summary));
        }
        _ if sts_fails => set(
            d,
            s.sts.verdict.cause(),
            format!("{}{handshake}", s.sts.summary),
        ),
        _ => {}
    }
}

/// What an MTA-STS policy in testing mode reports for attempt `a` (senders deliver, and
/// report what enforce would refuse): the MX outside the policy's patterns, else its
/// certificate refused; `None` when enforce would deliver or the mode is not testing.
pub fn sts_testing_cause(a: &Attempt, s: &Assessment) -> Option<crate::diagnose::Cause> {
    use crate::diagnose::Cause;
    if s.sts.verdict != PolicyVerdict::StsTesting {
        return None;
    }
    let listed = s.sts.policy.as_ref().is_some_and(|p| {
        mta_sts::matching_pattern(p, &probed_host(a).unwrap_or_default()).is_some()
    });
    if !listed {
        Some(Cause::MtaStsMxMismatch)
    } else if a.verdict.as_ref().is_some_and(|v| !v.ok) {
        Some(Cause::MtaStsCertInvalid)
    } else {
        None
    }
}

/// Fixes for what the published policies get wrong without stopping delivery: an MTA-STS
/// policy that cannot be had, a testing-mode policy that reports failures (what enforce
/// would refuse), TLSA records SMTP cannot use. Senders report these (TLS-RPT), and the
/// next policy change would turn them into deferrals.
pub fn advisories(a: &Attempt, s: &Assessment) -> Vec<String> {
    use crate::diagnose::Cause;
    let mut out = Vec::new();
    out.extend(sts_fetch_fix(a, s));
    if let Some(c) = sts_testing_cause(a, s)
        && let Some(fix) = c.policy_fix()
    {
        out.push(format!("{fix} before the policy goes to enforce mode"));
    }
    if s.dane.verdict == PolicyVerdict::DaneUnusable
        && let Some(fix) = Cause::DaneUnusable.policy_fix()
    {
        out.push(fix.to_string());
    }
    out
}

/// The fix for an MTA-STS policy the TXT record announces but a sender cannot have, in the
/// words of what the fetch met, its URL named (`None` unless that is the MTA-STS verdict).
/// Delivery goes on (a sender without a cached policy sends as if there were none), but
/// every sender that has the record reports the failure.
pub fn sts_fetch_fix(a: &Attempt, s: &Assessment) -> Option<String> {
    if s.sts.verdict != PolicyVerdict::StsPolicyUnavailable {
        return None;
    }
    let fetch = a.policy.sts_policy.as_ref();
    let url = fetch.map_or("https://mta-sts.DOMAIN/.well-known/mta-sts.txt", |f| {
        f.url.as_str()
    });
    Some(match fetch {
        Some(f) if f.failed_at == Some(crate::policy::FetchStep::Certificate) => format!(
            "serve {url} with a certificate valid for its host name (publicly trusted, not \
             expired): senders cannot authenticate the policy and report sts-webpki-invalid"
        ),
        Some(f) if f.error.is_none() && f.body.is_some() => format!(
            "correct the policy served at {url} (RFC 8461 §3.2: version, mode, mx and \
             max_age lines): senders report sts-policy-invalid"
        ),
        _ => format!(
            "serve the policy at {url} (HTTP 200, Content-Type text/plain, over HTTPS with a \
             publicly trusted certificate): senders report sts-policy-fetch-error"
        ),
    })
}

fn probed_host(a: &Attempt) -> Option<String> {
    a.host().map(crate::policy::norm)
}

fn state_of(a: &Attempt, name: &str, rtype: &str) -> Option<Dnssec> {
    a.policy
        .dnssec
        .iter()
        .find(|d| d.name == name && d.rtype == rtype)
        .map(|d| d.dnssec)
}

fn chain_der(a: &Attempt) -> Vec<Vec<u8>> {
    a.certificates
        .iter()
        .filter_map(|c| CertificateDer::from_pem_slice(c.pem.as_bytes()).ok())
        .map(|c| c.to_vec())
        .collect()
}

fn dane(a: &Attempt) -> Dane {
    let host = probed_host(a);
    let lookup = host
        .as_ref()
        .and_then(|h| {
            a.policy
                .tlsa
                .iter()
                .find(|l| &crate::policy::norm(&l.host) == h)
        })
        .cloned();
    let mut out = Dane {
        verdict: PolicyVerdict::DaneNone,
        host: host.clone(),
        lookup: lookup.clone(),
        check: None,
        summary: String::new(),
    };
    let Some(host) = host else {
        out.summary = "no host was probed".into();
        return out;
    };
    let Some(l) = lookup else {
        // The lookups ran but this host's TLSA answer never came: not judged, never "none".
        out.verdict = PolicyVerdict::DnssecIndeterminate;
        out.summary = format!("the TLSA lookup of {host} did not finish: DANE could not be judged");
        return out;
    };
    let chain = chain_der(a);
    let checker = |chain: &[Vec<u8>], i: usize| ta_chain_ok(chain, i, &host, l.at_unix);
    if !l.records.is_empty() {
        out.check = Some(tlsa::check(&l.records, &chain, &checker));
    }
    let domain = a
        .resolution
        .mx
        .as_ref()
        .map(|(d, _)| crate::policy::norm(d));
    let mx_state = domain.as_deref().and_then(|d| state_of(a, d, "MX"));
    let addr_states = [state_of(a, &host, "A"), state_of(a, &host, "AAAA")];
    let route: Vec<(String, Dnssec)> = mx_state
        .map(|s| ("the MX RRset".to_string(), s))
        .into_iter()
        .chain(
            addr_states
                .iter()
                .zip(["A", "AAAA"])
                .filter_map(|(s, t)| s.map(|s| (format!("the {t} RRset of {host}"), s))),
        )
        .chain(std::iter::once((
            format!("the TLSA RRset of {host}"),
            l.dnssec,
        )))
        .collect();
    let name = format!("_{}._tcp.{host}", l.port);
    if let Some((what, _)) = route.iter().find(|(_, s)| *s == Dnssec::Bogus) {
        out.verdict = PolicyVerdict::DnssecBogus;
        out.summary = format!("{what} is DNSSEC-bogus: a DANE sender defers delivery");
        return out;
    }
    if l.dnssec == Dnssec::Indeterminate {
        out.verdict = PolicyVerdict::DnssecIndeterminate;
        out.summary = format!(
            "the TLSA lookup of {name} could not be judged: {}",
            l.error.clone().unwrap_or_else(|| "no detail".into())
        );
        return out;
    }
    if l.records.is_empty() {
        out.summary = format!("{name} has no TLSA records");
        return out;
    }
    // A step proven insecure makes DANE not apply; one that could not be judged (a lookup
    // that failed or never finished) leaves it open, and no verdict is built on it.
    if let Some((what, _)) = route.iter().find(|(_, s)| *s == Dnssec::Indeterminate)
        && !route.iter().any(|(_, s)| *s == Dnssec::Insecure)
    {
        out.verdict = PolicyVerdict::DnssecIndeterminate;
        out.summary = format!(
            "{what} could not be judged (its lookup failed or did not finish): DANE could not \
             be judged"
        );
        return out;
    }
    if let Some((what, s)) = route.iter().find(|(_, s)| *s != Dnssec::Secure) {
        out.verdict = PolicyVerdict::DaneInsecure;
        out.summary = format!(
            "TLSA records ignored: {what} is {} (DANE needs every step signed, RFC 7672 §2.2)",
            s.name()
        );
        return out;
    }
    let check = out.check.as_ref().map(|c| c.outcome.clone());
    (out.verdict, out.summary) = match check {
        Some(TlsaOutcome::Valid) => {
            let (rec, i) = out
                .check
                .iter()
                .flat_map(|c| c.records.iter())
                .find_map(|m| m.matched.filter(|_| m.note.is_none()).map(|i| (m, i)))
                .map(|(m, i)| (m.record.presentation(), i))
                .unwrap_or_default();
            (
                PolicyVerdict::DaneValid,
                format!("TLSA {rec} matches certificate #{i} of the chain sent"),
            )
        }
        Some(TlsaOutcome::Mismatch) => (
            PolicyVerdict::DaneMismatch,
            format!(
                "no TLSA record of {name} matches the certificates sent: a DANE sender refuses \
                 (a record left stale by a certificate rotation?)"
            ),
        ),
        Some(TlsaOutcome::Unusable) => (
            PolicyVerdict::DaneUnusable,
            format!(
                "{name} has only PKIX-TA/PKIX-EE (or unknown) records: TLS is mandatory for a \
                 DANE sender, but the certificate is not checked"
            ),
        ),
        Some(TlsaOutcome::NoChain) | None => (
            PolicyVerdict::DaneUnchecked,
            "TLSA records apply, but the server sent no certificate to match".into(),
        ),
    };
    out
}

/// RFC 7672 §3.2.2: with DANE-TA the path from the leaf to the matched CA must verify and the
/// leaf must carry the MX host name.
fn ta_chain_ok(chain: &[Vec<u8>], ta: usize, host: &str, at_unix: u64) -> Result<(), String> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(chain[ta].clone()))
        .map_err(|e| format!("the matched certificate is no usable trust anchor: {e}"))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| e.to_string())?;
    let leaf = CertificateDer::from(chain[0].clone());
    let between: Vec<CertificateDer> = chain[1..ta]
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let name = ServerName::try_from(host.to_string()).map_err(|e| e.to_string())?;
    verifier
        .verify_server_cert(
            &leaf,
            &between,
            &name,
            &[],
            UnixTime::since_unix_epoch(std::time::Duration::from_secs(at_unix)),
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn sts(a: &Attempt) -> Sts {
    let mut out = Sts {
        verdict: PolicyVerdict::StsNone,
        id: None,
        policy: None,
        summary: String::new(),
    };
    let Some(rec) = &a.policy.sts_record else {
        out.summary = match a.plan.as_ref().map(|p| &p.target) {
            Some(crate::plan::Target::Host(_)) => {
                "not looked up: MTA-STS is a recipient domain's policy, and a [host] target names no domain"
                    .into()
            }
            _ => "not looked up".into(),
        };
        return out;
    };
    if let Some(e) = &rec.error {
        out.summary = format!("lookup of {} failed: {e}", rec.name);
        return out;
    }
    let record = match mta_sts::parse_record(&rec.txt) {
        Ok(r) => r,
        Err(e) => {
            out.summary = format!("{}: {e}; senders see no policy", rec.name);
            return out;
        }
    };
    out.id = Some(record.id.clone());
    let unavailable = |why: String| {
        format!(
            "the TXT record announces a policy (id={}), but {why}: a sender without a cached \
             policy delivers as if there were none; one with a cached policy keeps applying it",
            record.id
        )
    };
    let policy = match &a.policy.sts_policy {
        None => Err("the policy was not fetched".to_string()),
        Some(f) => match (&f.body, &f.error) {
            (_, Some(e)) => Err(format!("fetching {} failed: {e}", f.url)),
            (Some(b), None) => mta_sts::parse_policy(b).map_err(|e| format!("{}: {e}", f.url)),
            (None, None) => Err("the fetch returned nothing".into()),
        },
    };
    let policy = match policy {
        Ok(p) => p,
        Err(why) => {
            out.verdict = PolicyVerdict::StsPolicyUnavailable;
            out.summary = unavailable(why);
            return out;
        }
    };
    out.policy = Some(policy.clone());
    let host = probed_host(a).unwrap_or_default();
    let patterns = policy.mx.join(", ");
    let matched = mta_sts::matching_pattern(&policy, &host).map(str::to_string);
    (out.verdict, out.summary) = match (policy.mode, matched) {
        (Mode::None, _) => (PolicyVerdict::StsNone, "policy mode is none".into()),
        (Mode::Testing, m) => (
            PolicyVerdict::StsTesting,
            format!(
                "testing mode: senders deliver and report failures via TLS-RPT ({host} {})",
                m.map(|p| format!("matches {p}"))
                    .unwrap_or_else(|| format!("matches none of {patterns}"))
            ),
        ),
        (Mode::Enforce, None) => (
            PolicyVerdict::StsMxMismatch,
            format!("{host} matches none of the policy's mx patterns: {patterns}"),
        ),
        (Mode::Enforce, Some(p)) => match &a.verdict {
            Some(v)
                if !v.ok
                    || v.name_checked.as_deref().map(crate::policy::norm) != Some(host.clone()) =>
            {
                (
                    PolicyVerdict::StsCertInvalid,
                    format!(
                        "{host} matches {p}, but its certificate does not validate for {host}: {}",
                        v.detail
                    ),
                )
            }
            Some(_) => (
                PolicyVerdict::StsEnforceOk,
                format!("{host} matches {p} and its certificate validates"),
            ),
            None => (
                PolicyVerdict::StsEnforceOk,
                format!("{host} matches {p}; no certificate seen to check"),
            ),
        },
    };
    out
}

/// What a sender that does not verify gets from the server: the same dialogue as ours, but
/// going on past a certificate that does not verify.
#[derive(Debug, Clone, PartialEq)]
enum Reach {
    /// The SMTP session fails before STARTTLS could help or hurt.
    NoSmtp,
    /// TLS completes and the dialogue over it works (EHLO to QUIT).
    Tls,
    /// TLS completes, then the server ends the session: the words say how.
    TlsThenFails(String),
    /// TLS cannot be established: a sender that does not insist falls back to plaintext.
    NoTls,
    /// The handshake was stopped at our verification (a recording made before tlsdive went
    /// on past it): whether the rest works is not known.
    Unknown,
}

fn reach(a: &Attempt) -> Reach {
    let failure = a.failure();
    // A refusal of STARTTLS itself (454): an opportunistic sender goes on in plaintext
    // (Postfix: "Else try to continue in plain-text mode"), only a sender that requires TLS
    // defers. Any other refused reply ends the SMTP session for everyone.
    if let Some((Some(Failure::BadReply { .. }), crate::event::Phase::Starttls, _)) = &a.finished {
        return Reach::NoTls;
    }
    let smtp_ok = !matches!(
        failure,
        Some(
            Failure::DnsFailed { .. }
                | Failure::NoAddresses { .. }
                | Failure::ConnectRefused
                | Failure::ConnectTimeout
                | Failure::Unreachable { .. }
                | Failure::BadReply { .. }
                | Failure::NotSmtp { .. }
                | Failure::Cancelled
        )
    ) && a.finished.is_some();
    if !smtp_ok {
        return Reach::NoSmtp;
    }
    let cert_failure = matches!(
        failure,
        Some(Failure::Tls {
            failure: crate::event::TlsFailure::Certificate,
            ..
        })
    );
    let after = match (&a.past_failed_verification, cert_failure) {
        (Some(after), _) => after.as_ref(),
        (None, true) => return Reach::Unknown,
        (None, false) => failure,
    };
    match after {
        None if a.negotiated.is_some() => Reach::Tls,
        None => Reach::NoTls,
        Some(f) if a.negotiated.is_some() => Reach::TlsThenFails(after_tls_words(f)),
        Some(_) => Reach::NoTls,
    }
}

fn after_tls_words(f: &Failure) -> String {
    match f {
        Failure::BadReply { code } => format!("the server answers {code} over TLS"),
        Failure::PeerClosed => "the server closes the connection after the handshake".into(),
        Failure::PeerReset => "the server resets the connection after the handshake".into(),
        Failure::Timeout => "the server stops answering after the handshake".into(),
        Failure::Tls { error, .. } => format!("the TLS session fails after the handshake: {error}"),
        _ => "the session fails after the handshake".into(),
    }
}

/// The first RRset on the way to the MX host's address that is DNSSEC-bogus: a sender behind
/// a validating resolver gets SERVFAIL there and cannot even find the server.
fn bogus_route(a: &Attempt) -> Option<String> {
    let host = probed_host(a)?;
    let domain = a
        .resolution
        .mx
        .as_ref()
        .map(|(d, _)| crate::policy::norm(d));
    let mx = domain
        .as_deref()
        .filter(|d| state_of(a, d, "MX") == Some(Dnssec::Bogus))
        .map(|d| format!("the MX RRset of {d}"));
    mx.or_else(|| {
        ["A", "AAAA"]
            .into_iter()
            .find(|t| state_of(a, &host, t) == Some(Dnssec::Bogus))
            .map(|t| format!("the {t} RRset of {host}"))
    })
}

fn senders(a: &Attempt, dane: &Dane, sts: &Sts) -> Vec<SenderRow> {
    let reach = reach(a);
    let types = SessionTypes::of(a, &reach, sts);
    let row = |policy, delivers, why: String, (tlsrpt_policy, tlsrpt_result_type)| SenderRow {
        policy,
        delivers,
        why,
        tlsrpt_policy,
        tlsrpt_result_type,
    };
    // What every sender that does not authenticate gets once it has found the server.
    let (opp_delivers, opp_why): (Option<bool>, String) = match &reach {
        Reach::NoSmtp => (Some(false), "the SMTP session itself fails".into()),
        Reach::Tls => (Some(true), "over TLS (it does not verify the certificate)".into()),
        Reach::TlsThenFails(w) => (Some(false), format!("TLS completes, but {w}")),
        Reach::NoTls => (
            Some(true),
            "in plaintext: TLS fails, and an opportunistic sender falls back".into(),
        ),
        Reach::Unknown => (
            None,
            "not known: the handshake was stopped at our failed verification (a recording from before tlsdive went on past it)".into(),
        ),
    };
    let tls_works = reach == Reach::Tls;
    let verdict = a.verdict.as_ref();
    let (mand_delivers, mand_why) = match verdict {
        Some(v) if v.ok && tls_works => (Some(true), "TLS with a verified certificate".into()),
        Some(v) if v.ok => (
            Some(false),
            format!("the certificate verifies, but {opp_why}"),
        ),
        Some(v) => (
            Some(false),
            format!("it verifies name and chain and refuses: {}", v.detail),
        ),
        None => (Some(false), "TLS is not established".to_string()),
    };
    let (dane_delivers, dane_why) = match dane.verdict {
        PolicyVerdict::DaneValid if tls_works => {
            (Some(true), format!("{} ({})", dane.summary, dane.rule()))
        }
        PolicyVerdict::DaneUnusable if tls_works => (
            Some(true),
            "TLS is mandatory, the certificate unchecked (only unusable records)".into(),
        ),
        PolicyVerdict::DaneValid | PolicyVerdict::DaneUnusable | PolicyVerdict::DaneUnchecked => {
            match &reach {
                Reach::Unknown => (None, opp_why.clone()),
                Reach::TlsThenFails(w) => (Some(false), format!("TLS completes, but {w}")),
                _ => (
                    Some(false),
                    "TLS is mandatory and is not established".to_string(),
                ),
            }
        }
        PolicyVerdict::DaneMismatch | PolicyVerdict::DnssecBogus => {
            (Some(false), dane.summary.clone())
        }
        PolicyVerdict::DnssecIndeterminate => {
            (None, format!("could not be judged: {}", dane.summary))
        }
        _ => (
            opp_delivers,
            format!("no usable DANE policy ({}): {}", dane.summary, opp_why),
        ),
    };
    let (sts_delivers, sts_why) = match sts.verdict {
        PolicyVerdict::StsEnforceOk if tls_works => (Some(true), sts.summary.clone()),
        PolicyVerdict::StsEnforceOk => match &reach {
            Reach::Unknown => (None, opp_why.clone()),
            _ => (
                Some(false),
                "enforce mode needs TLS, and TLS is not established".to_string(),
            ),
        },
        PolicyVerdict::StsMxMismatch | PolicyVerdict::StsCertInvalid => {
            (Some(false), sts.summary.clone())
        }
        // Testing mode checks as enforce would, and reports what fails instead of deferring.
        PolicyVerdict::StsTesting if tls_works => (
            Some(true),
            match verdict {
                Some(v) if v.ok => format!("{}: over TLS, the certificate verified", sts.summary),
                Some(v) => format!(
                    "{}: over TLS; the certificate fails the check ({}), which it reports",
                    sts.summary, v.detail
                ),
                None => format!("{}: {}", sts.summary, opp_why),
            },
        ),
        _ => (opp_delivers, format!("{}: {}", sts.summary, opp_why)),
    };
    // Behind a validating resolver a bogus MX or address RRset is SERVFAIL: those senders
    // never find the server. The DANE row says so itself (dnssec-bogus).
    let route = bogus_route(a);
    let found = |delivers: Option<bool>, why: String| match (&route, delivers) {
        (Some(what), Some(true)) => (
            None,
            format!(
                "only behind a resolver that does not validate DNSSEC: {what} is DNSSEC-bogus, so a validating resolver answers SERVFAIL and the sender defers; without validation: {why}"
            ),
        ),
        _ => (delivers, why),
    };
    let (o, ow) = found(opp_delivers, opp_why.clone());
    let (m, mw) = found(mand_delivers, mand_why);
    let (s_, sw) = found(sts_delivers, sts_why);
    vec![
        row("opportunistic", o, ow, types.opportunistic()),
        row("mandatory-verified", m, mw, types.verifying()),
        row("DANE", dane_delivers, dane_why, types.dane(dane.verdict)),
        row("MTA-STS", s_, sw, types.sts(sts.verdict)),
    ]
}

/// What this session gives each kind of sender to put in its TLS report.
struct SessionTypes {
    /// The type of the failure that kept TLS from being established, when it was not.
    tls: Option<ResultType>,
    /// The type of the certificate's own defect, when it has one.
    cert: Option<ResultType>,
    /// The type of an MX certificate refused under MTA-STS (its defect, or the name).
    sts_cert: Option<ResultType>,
    /// Why no MTA-STS policy could be applied: not fetched, or not a policy.
    sts_unavailable: ResultType,
    /// Whether the probed MX matches the policy's mx patterns (no policy: false).
    sts_mx_listed: bool,
    /// Whether anything of TLS is known (a recording stopped at our verification is not).
    known: bool,
}

impl SessionTypes {
    fn of(a: &Attempt, reach: &Reach, sts: &Sts) -> SessionTypes {
        let tls = match reach {
            Reach::NoTls => Some(match a.failure() {
                Some(Failure::StarttlsNotOffered | Failure::BadReply { .. }) => {
                    ResultType::StarttlsNotSupported
                }
                // Whatever else ends a handshake: RFC 8460's general failure.
                _ => ResultType::ValidationFailure,
            }),
            _ => None,
        };
        let cert = a.verdict.as_ref().filter(|v| !v.ok).and_then(|v| {
            crate::diagnose::tlsrpt::result_type(crate::diagnose::cert_cause(v.problem.as_ref()).0)
        });
        SessionTypes {
            tls,
            cert,
            sts_cert: crate::diagnose::tlsrpt::result_type_on(
                a,
                crate::diagnose::Cause::MtaStsCertInvalid,
            ),
            // A body that came but does not parse is an invalid policy (RFC 8460 §4.3.2).
            sts_unavailable: crate::diagnose::tlsrpt::sts_unavailable(a),
            sts_mx_listed: sts.policy.as_ref().is_some_and(|p| {
                mta_sts::matching_pattern(p, &probed_host(a).unwrap_or_default()).is_some()
            }),
            known: !matches!(reach, Reach::Unknown | Reach::NoSmtp),
        }
    }

    /// No policy, no verification: only a session without TLS is a failure to report.
    fn opportunistic(&self) -> (PolicyType, Option<ResultType>) {
        (PolicyType::NoPolicyFound, self.tls.clone())
    }

    /// No published policy, but the sender verifies (its own rule): it reports the
    /// certificate's defect too.
    fn verifying(&self) -> (PolicyType, Option<ResultType>) {
        let t = if self.known {
            self.tls.clone().or_else(|| self.cert.clone())
        } else {
            None
        };
        (PolicyType::NoPolicyFound, t)
    }

    fn dane(&self, v: PolicyVerdict) -> (PolicyType, Option<ResultType>) {
        use PolicyVerdict::*;
        match v {
            DaneMismatch => (PolicyType::Tlsa, Some(ResultType::TlsaInvalid)),
            DnssecBogus => (PolicyType::Tlsa, Some(ResultType::DnssecInvalid)),
            // DANE-EE ignores names and dates; only a missing TLS session fails it.
            DaneValid | DaneUnusable | DaneUnchecked => (PolicyType::Tlsa, self.tls.clone()),
            // What a sender that met the same unanswered lookup would report (as the
            // diagnosis of this cause says); whether it meets it is what cannot be told.
            DnssecIndeterminate => (PolicyType::Tlsa, Some(ResultType::DnssecInvalid)),
            _ => self.opportunistic(),
        }
    }

    fn sts(&self, v: PolicyVerdict) -> (PolicyType, Option<ResultType>) {
        use PolicyVerdict::*;
        match v {
            StsMxMismatch => (PolicyType::Sts, Some(ResultType::ValidationFailure)),
            StsCertInvalid => (PolicyType::Sts, self.sts_cert.clone()),
            // The record announces a policy the sender cannot get or read (RFC 8460 §4.3.2).
            StsPolicyUnavailable => (PolicyType::Sts, Some(self.sts_unavailable.clone())),
            // Testing mode reports what enforce would refuse, and delivers anyway.
            StsTesting if !self.sts_mx_listed => {
                (PolicyType::Sts, Some(ResultType::ValidationFailure))
            }
            StsTesting if self.cert.is_some() => (PolicyType::Sts, self.sts_cert.clone()),
            StsEnforceOk | StsTesting => (PolicyType::Sts, self.verifying().1),
            _ => self.opportunistic(),
        }
    }
}
