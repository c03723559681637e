//! The JSON report (schema 1, `assets/report.schema.json`): field names only ever gain
//! siblings; a breaking change bumps `schema`.

use serde_json::{Value, json};

use crate::diagnose::{self, evidence::message_words};
use crate::session::{Attempt, TimelineRow};
use crate::wire::Dir;

pub const SCHEMA: u32 = 1;

fn dir(d: Dir) -> &'static str {
    match d {
        Dir::Client => "C",
        Dir::Server => "S",
    }
}

fn ms(us: u64) -> f64 {
    (us as f64 / 1000.0 * 1000.0).round() / 1000.0
}

/// The report of one attempt. Every string in it is neutralized (`sanitize::neutralize`), so
/// even `jq -r` of a report made from a hostile recording prints nothing raw.
pub fn report(a: &Attempt) -> Value {
    let d = diagnose::diagnose(a);
    let plan = a.plan.as_ref();
    let target = json!({
        "input": plan.map(|p| p.target.display_name()),
        "kind": plan.map(|p| serde_json::to_value(&p.target).unwrap_or(Value::Null)),
        "port": plan.map(|p| p.port),
        "mx": a.resolution.mx.as_ref().map(|(domain, hosts)| crate::report::policy::mx_json(domain, hosts)),
        "implicit_mx": a.resolution.implicit_mx,
        "addresses": a.resolution.addresses,
        "tried": a.tried.iter().map(|(addr, host)| json!({"address": addr.to_string(), "host": host})).collect::<Vec<_>>(),
        "host": a.host(),
        "peer": a.peer.map(|p| p.to_string()),
        "local": a.local.map(|p| p.to_string()),
    });
    let tls = a.negotiated.as_ref().map(|n| {
        json!({
            "version": n.version,
            "cipher_suite": n.cipher_suite,
            "group": n.group,
            "handshake_kind": n.handshake_kind,
            "alpn": n.alpn,
        })
    });
    let transcript: Vec<Value> = a
        .transcript
        .iter()
        .map(|l| json!({"at_ms": ms(l.at_us), "dir": dir(l.dir), "line": l.line, "tls": l.tls, "truncated": l.truncated}))
        .collect();
    let timeline: Vec<Value> = a
        .timeline
        .iter()
        .map(|row| match row {
            TimelineRow::Record {
                at_us,
                dir: d,
                record,
            } => json!({
                "at_ms": ms(*at_us),
                "dir": dir(*d),
                "record": record.content_type,
                "version": record.version,
                "length": record.length,
                "encrypted": record.encrypted,
                "decrypted": record.decrypted,
                "messages": record.messages.iter().map(message_words).collect::<Vec<_>>(),
                "decoded": record.messages,
                "repeated": record.repeated,
            }),
            TimelineRow::Ended { at_us, how } => json!({
                "at_ms": ms(*at_us),
                "dir": "-",
                "record": "end",
                "end": how,
                "messages": [how.words()],
            }),
        })
        .collect();
    let mut report = json!({
        "schema": SCHEMA,
        "tool": format!("tlsdive {}", env!("CARGO_PKG_VERSION")),
        "attempt": a.id,
        "target": target,
        "plan": plan,
        "outcome": {
            "ok": d.ok,
            "phase": d.phase.name(),
            "cause": d.cause,
            // The RFC 8460 result-type a reporting sender would give this failure.
            "tlsrpt_result_type": crate::diagnose::tlsrpt::result_type_on(a, d.cause).map(|r| r.code().to_string()),
            "summary": d.summary,
            "evidence": d.evidence,
            "next_steps": d.next_steps.iter().map(|s| s.text.clone()).collect::<Vec<_>>(),
            "failure": a.failure(),
            "elapsed_ms": a.finished.as_ref().map(|f| ms(f.2)),
        },
        "tls": tls,
        "certificates": a.certificates,
        "verification": a.verdict,
        "capabilities": {"before_tls": a.capabilities(false), "after_tls": a.capabilities(true)},
        "plaintext_injected": a.injected.as_ref().map(|(n, p)| json!({"bytes": n, "preview": p})),
        "notes": a.notes.iter().map(|(at, t)| json!({"at_ms": ms(*at), "text": t})).collect::<Vec<_>>(),
        "transcript": transcript,
        "timeline": timeline,
        "policy": crate::report::policy::json(a),
    });
    crate::sanitize::neutralize_json(&mut report);
    report
}
