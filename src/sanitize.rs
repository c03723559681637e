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
//! Lengths are capped so a hostile server cannot flood a report. Whole events, attempts and
//! sessions are neutralized by `session::neutralize`, above the model.

use std::borrow::Cow;

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

/// Fields whose line breaks are their syntax: a string under one of these keys keeps its
/// real line breaks in JSON (`jq -r .certificates[0].pem | openssl x509` works), each line
/// neutralized. Everywhere else a line break is escaped: a hostile one-line field cannot
/// fake a second line in `jq -r` output.
pub const MULTILINE_KEYS: &[&str] = &["pem"];

/// Neutralize every string of a JSON value, object keys included (see [`MULTILINE_KEYS`]).
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
            for (k, val) in map.iter_mut() {
                match val {
                    Value::String(s) if MULTILINE_KEYS.contains(&k.as_str()) => {
                        if s.chars().any(|c| c != '\n' && is_unsafe(c)) {
                            *s = neutralize_lines(s);
                        }
                    }
                    _ => neutralize_json(val),
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
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
    fn neutralize_json_keeps_the_line_breaks_of_a_pem_only() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let mut v = serde_json::json!({"pem": pem, "line": "a\nb", "x": {"pem": "a\x1b\nb"}});
        neutralize_json(&mut v);
        assert_eq!(v["pem"], pem);
        assert_eq!(v["line"], "a\\x0ab");
        assert_eq!(v["x"]["pem"], "a\\e\nb");
    }

    #[test]
    fn cap_counts_characters_and_notes_the_rest() {
        assert_eq!(cap("abcdef", 10), "abcdef");
        assert_eq!(cap("abcdef", 3), "abc… [3 more bytes]");
        assert_eq!(cap("ééé", 1), "é… [4 more bytes]");
    }
}
