//! Server text made safe to show: control bytes (ANSI escapes included) are escaped so that
//! nothing a server sends can move the cursor, change colours or ring the bell, and lengths
//! are capped so a hostile server cannot flood a report.

/// Escape `bytes` for display: printable ASCII and valid UTF-8 text pass through; control
/// bytes become `\xNN` (`\e` for ESC, `\t` stays a tab), invalid UTF-8 becomes `\xNN` too.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Escape a string that may contain control characters.
pub fn escape_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_char(&mut out, c);
    }
    out
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\t' => out.push('\t'),
        '\x1b' => out.push_str("\\e"),
        c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
        // C1 controls and bidi overrides can also reorder or restyle terminal output.
        c if ('\u{80}'..='\u{9f}').contains(&c)
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c) =>
        {
            out.push_str(&format!("\\u{{{:04x}}}", c as u32))
        }
        c => out.push(c),
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
    fn cap_counts_characters_and_notes_the_rest() {
        assert_eq!(cap("abcdef", 10), "abcdef");
        assert_eq!(cap("abcdef", 3), "abc… [3 more bytes]");
        assert_eq!(cap("ééé", 1), "é… [4 more bytes]");
    }
}
