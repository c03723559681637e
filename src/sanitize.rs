//! Server text made safe to show. Two layers, because a recording is untrusted input too:
//!
//! - at capture, `escape_bytes` / `escape_str` turn what a server sent into reversible,
//!   unambiguous text: a control byte becomes `\e` or `\xNN`, an invisible or reordering
//!   character `\u{NNNN}`, and a backslash `\\` (so a server's literal `\e` cannot pass for an
//!   escaped ESC);
//! - at every output boundary (text report, JSON, the replayed TUI, error messages),
//!   `neutralize` escapes whatever unsafe character is still there, whatever the input. It
//!   leaves backslashes alone, so text escaped at capture is shown unchanged, not doubled.
//!
//! Lengths are capped so a hostile server cannot flood a report.

use std::borrow::Cow;

use crate::event::{EventKind, ProbeEvent};
use crate::session::{Attempt, Session};

/// Characters that must never reach a terminal or a report raw: C0 controls (but tab), DEL,
/// C1 controls, and the invisible and reordering characters (zero-width, bidi embeddings,
/// overrides and isolates, line/paragraph separators, BOM, Arabic letter mark) that can hide
/// or reorder text.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\0'..='\x08' | '\x0a'..='\x1f' | '\x7f' | '\u{80}'..='\u{9f}'
        | '\u{061c}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}')
}

/// Escape `bytes` for display: printable ASCII and valid UTF-8 text pass through; control
/// bytes become `\xNN` (`\e` for ESC, `\t` stays a tab), invalid UTF-8 becomes `\xNN` too,
/// a backslash `\\`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_escaped(&mut out, c);
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Escape a string that came from a server (or anyone else untrusted), backslashes included.
pub fn escape_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    out
}

/// Make any text safe to print: unsafe characters escaped as at capture, everything else
/// (backslashes included) unchanged. Idempotent, and a no-op on `escape_str`'s output.
pub fn neutralize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_unsafe(&mut out, c);
    }
    Cow::Owned(out)
}

/// `neutralize` for a multi-line text we print whole: line breaks stay.
pub fn neutralize_lines(s: &str) -> String {
    s.split('\n').map(neutralize).collect::<Vec<_>>().join("\n")
}

/// Neutralize every string of a JSON value, object keys included.
pub fn neutralize_json(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            if let Cow::Owned(clean) = neutralize(s) {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(neutralize_json),
        Value::Object(map) => {
            if map.keys().any(|k| k.chars().any(is_unsafe)) {
                let old = std::mem::take(map);
                for (k, val) in old {
                    map.insert(neutralize(&k).into_owned(), val);
                }
            }
            map.values_mut().for_each(neutralize_json);
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

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

/// The attempt rebuilt from neutralized events: what a report or a read-only view shows.
/// Never use it to run anything (a path or a name in its plan may have been escaped).
pub fn neutralize_attempt(a: &Attempt) -> Attempt {
    let plan = a.plan.as_ref().and_then(|p| {
        let mut v = serde_json::to_value(p).ok()?;
        neutralize_json(&mut v);
        serde_json::from_value(v).ok()
    });
    let mut out = Attempt::new(a.id, plan);
    for ev in &a.events {
        out.apply(&neutralize_event(ev));
    }
    out
}

/// Every attempt of a session neutralized (see `neutralize_attempt`).
pub fn neutralize_session(s: &Session) -> Session {
    Session {
        attempts: s.attempts.iter().map(neutralize_attempt).collect(),
    }
}

fn push_escaped(out: &mut String, c: char) {
    if c == '\\' {
        out.push_str("\\\\");
    } else {
        push_unsafe(out, c);
    }
}

fn push_unsafe(out: &mut String, c: char) {
    if !is_unsafe(c) {
        out.push(c);
    } else if c == '\x1b' {
        out.push_str("\\e");
    } else if (c as u32) < 0x80 {
        out.push_str(&format!("\\x{:02x}", c as u32));
    } else {
        out.push_str(&format!("\\u{{{:04x}}}", c as u32));
    }
}

/// Cut `s` to at most `max` characters, saying how much was left out.
pub fn cap(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => format!("{}… [{} more bytes]", &s[..i], s.len() - i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls() {
        let hostile = b"220 hi\x1b[2J\x1b[31mred\x07\x00\rend\x1b]0;pwned\x07";
        let shown = escape_bytes(hostile);
        assert_eq!(
            shown,
            "220 hi\\e[2J\\e[31mred\\x07\\x00\\x0dend\\e]0;pwned\\x07"
        );
        assert!(!shown.bytes().any(|b| b < 0x20 && b != b'\t'));
    }

    #[test]
    fn invalid_utf8_and_c1_controls_are_escaped() {
        assert_eq!(escape_bytes(b"a\xffb"), "a\\xffb");
        assert_eq!(escape_str("a\u{9b}31m"), "a\\u{009b}31m");
        assert_eq!(escape_str("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(escape_str("héllo"), "héllo");
    }

    #[test]
    fn a_literal_backslash_cannot_pass_for_an_escape() {
        // The server sent the four characters `\e[2J`, not ESC [ 2 J.
        assert_eq!(escape_bytes(b"\\e[2J"), "\\\\e[2J");
        assert_ne!(escape_bytes(b"\\e[2J"), escape_bytes(b"\x1b[2J"));
    }

    #[test]
    fn invisible_and_reordering_characters_are_escaped() {
        for c in [
            '\u{200b}', '\u{200f}', '\u{2028}', '\u{2029}', '\u{202a}', '\u{202e}', '\u{2060}',
            '\u{2066}', '\u{2069}', '\u{feff}', '\u{061c}',
        ] {
            let shown = escape_str(&format!("a{c}b"));
            assert_eq!(shown, format!("a\\u{{{:04x}}}b", c as u32));
            assert_eq!(neutralize(&format!("a{c}b")), shown);
        }
    }

    #[test]
    fn neutralize_is_idempotent_and_keeps_captured_text() {
        let captured = escape_bytes(b"\\ \x1b]52;c;aGk=\x07 \xe2\x80\xae");
        assert_eq!(neutralize(&captured), captured);
        let raw = "x\x1b[2J\u{9b}\u{202e}\\e\ny";
        let once = neutralize(raw).into_owned();
        assert_eq!(once, "x\\e[2J\\u{009b}\\u{202e}\\e\\x0ay");
        assert_eq!(neutralize(&once), once);
        assert_eq!(neutralize_lines("a\x07\nb"), "a\\x07\nb");
    }

    #[test]
    fn neutralize_json_reaches_nested_strings_and_keys() {
        let mut v = serde_json::json!({"a": ["\x1b]0;t\x07", {"k\u{202e}": "\u{85}"}], "n": 1});
        neutralize_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"a": ["\\e]0;t\\x07", {"k\\u{202e}": "\\u{0085}"}], "n": 1})
        );
    }

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

    #[test]
    fn cap_counts_characters_and_notes_the_rest() {
        assert_eq!(cap("abcdef", 10), "abcdef");
        assert_eq!(cap("abcdef", 3), "abc… [3 more bytes]");
        assert_eq!(cap("ééé", 1), "é… [4 more bytes]");
    }
}
