//! A whole event, attempt or session made safe to show: every string neutralized
//! (`sanitize::neutralize`), except that texts whose line breaks are their syntax (a PEM
//! certificate, an MTA-STS policy body) keep them, each line neutralized. What a report, a
//! replay or a read-only view shows; never used to run anything.

use crate::event::{EventKind, ProbeEvent};
use crate::sanitize::{neutralize_json, neutralize_lines};
use crate::session::{Attempt, Session};

/// An event with every string neutralized, for display. If the cleaned event no longer reads
/// back (it always should: no tag or address holds an unsafe character), a note says so.
pub fn neutralize_event(ev: &ProbeEvent) -> ProbeEvent {
    let cleaned = serde_json::to_value(ev).ok().and_then(|mut v| {
        neutralize_json(&mut v);
        serde_json::from_value(v).ok()
    });
    cleaned
        .map(|mut c: ProbeEvent| {
            keep_line_breaks(&ev.kind, &mut c.kind);
            c
        })
        .unwrap_or_else(|| ProbeEvent {
            attempt: ev.attempt,
            at_us: ev.at_us,
            kind: EventKind::Note {
                text: "an event could not be shown safely and was left out".into(),
            },
        })
}

/// Texts whose line breaks are their syntax keep them, each line neutralized: a PEM
/// certificate (DANE matches it) and an MTA-STS policy body (RFC 8461 §3.2 is line based).
/// Without this a replayed or neutralized attempt would be judged on broken copies.
fn keep_line_breaks(raw: &EventKind, cleaned: &mut EventKind) {
    match (raw, cleaned) {
        (
            EventKind::MtaStsPolicyFetched { fetch: raw },
            EventKind::MtaStsPolicyFetched { fetch },
        ) => fetch.body = raw.body.as_deref().map(neutralize_lines),
        (
            EventKind::CertificatesReceived { chain: raw, .. },
            EventKind::CertificatesReceived { chain, .. },
        ) => {
            for (raw, cert) in raw.iter().zip(chain.iter_mut()) {
                cert.pem = neutralize_lines(&raw.pem);
            }
        }
        _ => {}
    }
}

/// The attempt rebuilt from neutralized events: what a report or a replay shows. Its plan is
/// what `replay --live` runs again: a name that held a control or invisible character now
/// holds its printable escape, so no raw control byte from a recording reaches the wire.
pub fn neutralize_attempt(a: &Attempt) -> Attempt {
    let plan = a.plan.as_ref().and_then(|p| {
        let mut v = serde_json::to_value(p).ok()?;
        neutralize_json(&mut v);
        serde_json::from_value(v).ok()
    });
    let mut out = Attempt::new(a.id, plan);
    for ev in a.events() {
        out.apply(&neutralize_event(&ev));
    }
    out
}

/// Every attempt of a session neutralized (see `neutralize_attempt`).
pub fn neutralize_session(s: &Session) -> Session {
    Session {
        attempts: s.attempts.iter().map(neutralize_attempt).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralized_pem_and_policy_body_keep_their_lines() {
        let event = |kind| ProbeEvent {
            attempt: 1,
            at_us: 0,
            kind,
        };
        let fetched = event(EventKind::MtaStsPolicyFetched {
            fetch: crate::policy::PolicyFetch {
                url: "https://mta-sts.example/.well-known/mta-sts.txt".into(),
                body: Some("version: STSv1\nmode: enforce\x1b[2J\nmx: mx.example".into()),
                error: None,
                failed_at: None,
            },
        });
        let EventKind::MtaStsPolicyFetched { fetch } = neutralize_event(&fetched).kind else {
            panic!("the event kind changed");
        };
        assert_eq!(
            fetch.body.as_deref(),
            Some("version: STSv1\nmode: enforce\\e[2J\nmx: mx.example")
        );

        let mut cert: crate::cert::CertInfo = serde_json::from_value(serde_json::json!({
            "subject": "CN=x", "issuer": "CN=x", "sans": [], "not_before": "", "not_after": "",
            "key": "", "signature_algorithm": "", "sha256": "", "serial": "", "is_ca": false,
            "self_signed": true, "der_len": 0}))
        .unwrap();
        cert.pem = "-----BEGIN CERTIFICATE-----\nAAAA\u{202e}\n-----END CERTIFICATE-----\n".into();
        let received = event(EventKind::CertificatesReceived {
            chain: vec![cert],
            verdict: crate::cert::CertVerdict {
                ok: false,
                name_checked: None,
                problem: None,
                detail: "self-signed".into(),
            },
        });
        let EventKind::CertificatesReceived { chain, .. } = neutralize_event(&received).kind else {
            panic!("the event kind changed");
        };
        assert_eq!(
            chain[0].pem,
            "-----BEGIN CERTIFICATE-----\nAAAA\\u{202e}\n-----END CERTIFICATE-----\n"
        );
    }
}
