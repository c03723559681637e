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

/// The MTA-STS judgement for the probed MX.
#[derive(Debug, Clone, PartialEq)]
pub struct Sts {
    pub verdict: PolicyVerdict,
    pub id: Option<String>,
    pub policy: Option<Policy>,
    pub summary: String,
}

/// Whether one kind of sender would deliver to the probed MX.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SenderRow {
    pub policy: &'static str,
    /// `None`: cannot tell from what was seen.
    pub delivers: Option<bool>,
    pub why: String,
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

/// The policy verdict that decides delivery for a policy-following sender although the
/// handshake itself worked — the hook `diagnose` calls to make it the outcome's cause.
pub fn decisive(a: &Attempt) -> Option<PolicyVerdict> {
    let s = assess(a)?;
    [s.dane.verdict, s.sts.verdict].into_iter().find(|v| {
        matches!(
            v,
            PolicyVerdict::DaneMismatch
                | PolicyVerdict::DnssecBogus
                | PolicyVerdict::StsMxMismatch
                | PolicyVerdict::StsCertInvalid
        )
    })
}

/// The words that go with a decisive verdict.
pub fn decisive_summary(a: &Attempt) -> Option<String> {
    let s = assess(a)?;
    let v = decisive(a)?;
    Some(if v == s.dane.verdict {
        s.dane.summary
    } else {
        s.sts.summary
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
                "not looked up: MTA-STS is a recipient domain's policy, and a [host] target names                  no domain"
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

/// The handshake completed, or failed only on the WebPKI verification a DANE sender replaces.
fn tls_reached(a: &Attempt) -> bool {
    a.negotiated.is_some()
        || matches!(
            a.failure(),
            Some(Failure::Tls {
                failure: crate::event::TlsFailure::Certificate,
                ..
            })
        )
}

fn senders(a: &Attempt, dane: &Dane, sts: &Sts) -> Vec<SenderRow> {
    let failure = a.failure();
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
    let tls_ok = a.negotiated.is_some();
    let verified = a.verdict.as_ref().is_some_and(|v| v.ok);
    let row = |policy, delivers, why: String| SenderRow {
        policy,
        delivers,
        why,
    };
    let opportunistic = if !smtp_ok {
        row(
            "opportunistic",
            Some(false),
            "the SMTP session itself fails".into(),
        )
    } else if tls_ok {
        row("opportunistic", Some(true), "over TLS".into())
    } else {
        row(
            "opportunistic",
            Some(true),
            "in plaintext: TLS fails, and an opportunistic sender falls back".into(),
        )
    };
    let mandatory = if tls_ok && verified {
        row(
            "mandatory-verified",
            Some(true),
            "TLS with a verified certificate".into(),
        )
    } else if let Some(v) = a.verdict.as_ref().filter(|v| !v.ok) {
        row("mandatory-verified", Some(false), v.detail.clone())
    } else {
        row(
            "mandatory-verified",
            Some(false),
            "TLS is not established".into(),
        )
    };
    let dane_row = match dane.verdict {
        PolicyVerdict::DaneValid if tls_reached(a) => row("DANE", Some(true), dane.summary.clone()),
        PolicyVerdict::DaneUnusable if tls_reached(a) => row(
            "DANE",
            Some(true),
            "TLS is mandatory, the certificate unchecked (only unusable records)".into(),
        ),
        PolicyVerdict::DaneValid | PolicyVerdict::DaneUnusable | PolicyVerdict::DaneUnchecked => {
            row(
                "DANE",
                Some(false),
                "TLS is mandatory and is not established".into(),
            )
        }
        PolicyVerdict::DaneMismatch | PolicyVerdict::DnssecBogus => {
            row("DANE", Some(false), dane.summary.clone())
        }
        PolicyVerdict::DnssecIndeterminate => row("DANE", None, dane.summary.clone()),
        _ => row(
            "DANE",
            opportunistic.delivers,
            format!(
                "no usable DANE policy ({}): {}",
                dane.summary, opportunistic.why
            ),
        ),
    };
    let sts_row = match sts.verdict {
        PolicyVerdict::StsEnforceOk if tls_ok => row("MTA-STS", Some(true), sts.summary.clone()),
        PolicyVerdict::StsEnforceOk => row(
            "MTA-STS",
            Some(false),
            "enforce mode needs TLS, and TLS is not established".into(),
        ),
        PolicyVerdict::StsMxMismatch | PolicyVerdict::StsCertInvalid => {
            row("MTA-STS", Some(false), sts.summary.clone())
        }
        _ => row(
            "MTA-STS",
            opportunistic.delivers,
            format!("{}: {}", sts.summary, opportunistic.why),
        ),
    };
    vec![opportunistic, mandatory, dane_row, sts_row]
}
