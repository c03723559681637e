//! The routing-policy part of the reports: the JSON `policy` object (`mx`, `dane`, `mta_sts`,
//! `tls_rpt`, `senders`) and the text section, both from `diagnose::policy`.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::diagnose::policy::{Assessment, assess};
use crate::event::MxHost;
use crate::report::caps;
use crate::session::Attempt;

/// The `policy` object, `null` when no policy lookup was made.
pub fn json(a: &Attempt) -> Value {
    let Some(s) = assess(a) else {
        return Value::Null;
    };
    let mx: Vec<Value> = a
        .policy
        .dnssec
        .iter()
        .take(caps::JSON_ROWS)
        .map(|d| json!({"name": d.name, "type": d.rtype, "dnssec": d.dnssec, "detail": d.detail}))
        .collect();
    let hosts: Option<Vec<&MxHost>> = a
        .resolution
        .mx
        .as_ref()
        .map(|(_, h)| h.iter().take(caps::JSON_ROWS).collect());
    let records: Vec<Value> = s
        .dane
        .check
        .as_ref()
        .map(|c| {
            c.records
                .iter()
                .take(caps::JSON_ROWS)
                .map(|m| {
                    json!({
                        "usage": m.record.usage,
                        "selector": m.record.selector,
                        "matching_type": m.record.matching_type,
                        "data": caps::value(&m.record.data, caps::JSON_VALUE),
                        "matched": m.matched.is_some() && m.note.is_none(),
                        "certificate": m.matched,
                        "note": m.note,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let mut v = json!({
        "mx": {"hosts": hosts, "dnssec": mx},
        "dane": {
            "status": s.dane.verdict.code(),
            "host": s.dane.host,
            "name": s.dane.lookup.as_ref().map(|l| format!("_{}._tcp.{}", l.port, l.host)),
            "dnssec": s.dane.lookup.as_ref().map(|l| l.dnssec),
            "summary": s.dane.summary,
            "records": records,
            "certificates": s.dane.check.as_ref().map(|c| c.certificates.clone()).unwrap_or_default(),
        },
        "mta_sts": {
            "status": s.sts.verdict.code(),
            "id": s.sts.id,
            "mode": s.sts.policy.as_ref().map(|p| p.mode.name()),
            "mx": s.sts.policy.as_ref().map(|p| p.mx.clone()).unwrap_or_default(),
            "max_age": s.sts.policy.as_ref().map(|p| p.max_age),
            "url": a.policy.sts_policy.as_ref().map(|f| f.url.clone()),
            "summary": s.sts.summary,
        },
        "tls_rpt": {
            "rua": s.rua.iter().take(caps::JSON_ROWS).map(|r| caps::value(r, caps::JSON_VALUE)).collect::<Vec<_>>(),
            "summary": caps::value(&s.rua_summary, caps::JSON_VALUE),
        },
        "senders": s.senders,
    });
    let all_hosts = a.resolution.mx.as_ref().map_or(0, |(_, h)| h.len());
    let all_records = s.dane.check.as_ref().map_or(0, |c| c.records.len());
    more_sibling(
        &mut v["mx"],
        "hosts_more",
        all_hosts,
        all_hosts.min(caps::JSON_ROWS),
    );
    let dnssec = a.policy.dnssec.len();
    more_sibling(
        &mut v["mx"],
        "dnssec_more",
        dnssec,
        dnssec.min(caps::JSON_ROWS),
    );
    more_sibling(
        &mut v["dane"],
        "records_more",
        all_records,
        all_records.min(caps::JSON_ROWS),
    );
    more_sibling(
        &mut v["tls_rpt"],
        "rua_more",
        s.rua.len(),
        s.rua.len().min(caps::JSON_ROWS),
    );
    v
}

/// The `mx` object of the JSON report: at most [`caps::JSON_ROWS`] hosts, and how many more.
pub fn mx_json(domain: &str, hosts: &[MxHost]) -> Value {
    let shown: Vec<&MxHost> = hosts.iter().take(caps::JSON_ROWS).collect();
    let mut v = json!({"domain": domain, "hosts": shown});
    more_sibling(&mut v, "hosts_more", hosts.len(), shown.len());
    v
}

/// `name: N` beside a list cut at `shown` of `total` (absent when nothing was left out).
fn more_sibling(v: &mut Value, name: &str, total: usize, shown: usize) {
    if total > shown
        && let Some(o) = v.as_object_mut()
    {
        o.insert(name.into(), json!(total - shown));
    }
}

/// The text section; empty when no policy lookup was made.
pub fn text(a: &Attempt) -> String {
    let Some(s) = assess(a) else {
        return String::new();
    };
    let mut out = String::from("\nrouting policy\n");
    for d in a.policy.dnssec.iter().take(caps::ROWS) {
        let _ = writeln!(
            out,
            "  {:<5} {:<30} dnssec {}{}",
            d.rtype,
            d.name,
            d.dnssec.name(),
            d.detail
                .as_ref()
                .map(|x| format!(" ({})", caps::value(x, caps::VALUE)))
                .unwrap_or_default()
        );
    }
    if let Some(more) = caps::more(a.policy.dnssec.len(), caps::ROWS) {
        let _ = writeln!(out, "  {more} DNS answers");
    }
    dane(&mut out, &s);
    let _ = writeln!(
        out,
        "  MTA-STS: {} — {}",
        s.sts.verdict.code(),
        s.sts.summary
    );
    let _ = writeln!(
        out,
        "  TLS-RPT: {}",
        caps::value(&s.rua_summary, caps::VALUE)
    );
    let _ = writeln!(out, "\nwould a sender deliver?");
    for r in &s.senders {
        let word = match r.delivers {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "?",
        };
        // What it would write in its TLS report, to join the row with a received one.
        let rpt = r
            .tlsrpt_result_type
            .as_ref()
            .map(|t| format!(" · TLS-RPT {}: {}", r.tlsrpt_policy.code(), t.code()))
            .unwrap_or_default();
        let _ = writeln!(out, "  {:<19} {:<4} {}{rpt}", r.policy, word, r.why);
    }
    out
}

fn dane(out: &mut String, s: &Assessment) {
    let _ = writeln!(
        out,
        "  DANE: {} — {}",
        s.dane.verdict.code(),
        s.dane.summary
    );
    let Some(c) = &s.dane.check else {
        return;
    };
    for m in c.records.iter().take(caps::ROWS) {
        let what = match (m.matched, &m.note) {
            (Some(i), None) => format!("matches certificate #{i}"),
            (_, Some(n)) => n.clone(),
            (None, None) => "matches nothing sent".into(),
        };
        let _ = writeln!(
            out,
            "    TLSA {}  {}",
            caps::value(&m.record.presentation(), caps::VALUE),
            caps::value(&what, caps::VALUE)
        );
    }
    if let Some(more) = caps::more(c.records.len(), caps::ROWS) {
        let _ = writeln!(out, "    {more} TLSA records");
    }
    if c.records.iter().any(|m| m.matched.is_none()) {
        for d in &c.certificates {
            let _ = writeln!(
                out,
                "    cert #{} {}\n      spki sha256 {}\n      cert sha256 {}",
                d.index, d.subject, d.spki_sha256, d.cert_sha256
            );
        }
    }
}
