//! The text format of the handshake captures in `assets/handshakes/*.hex`.
//!
//! One line per write, in the order the bytes crossed the wire: `C` (client to server) or
//! `S` (server to client), a space, and the bytes in lower-case hex. Lines starting with `#`
//! are comments; blank lines are skipped. Order matters because the tracker learns the
//! negotiated version from the server before it judges the client's ChangeCipherSpec, so a
//! capture keeps both directions interleaved in one file. Parsing only, no file access.

use super::info::Dir;

/// One write: who sent it and the bytes.
pub type Chunk = (Dir, Vec<u8>);

/// Parses a capture; errors name the offending line (1-based).
pub fn parse(text: &str) -> Result<Vec<Chunk>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (tag, hex) = line.split_once(' ').unwrap_or((line, ""));
        let dir = match tag {
            "C" => Dir::Client,
            "S" => Dir::Server,
            _ => return Err(format!("line {}: expected C or S, found {tag:?}", i + 1)),
        };
        let bytes = decode_hex(hex.trim()).ok_or_else(|| format!("line {}: bad hex", i + 1))?;
        out.push((dir, bytes));
    }
    Ok(out)
}

/// Writes a capture, with `comment` as leading `#` lines.
pub fn render(comment: &str, chunks: &[Chunk]) -> String {
    let mut out = String::new();
    for line in comment.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    for (dir, bytes) in chunks {
        out.push(match dir {
            Dir::Client => 'C',
            Dir::Server => 'S',
        });
        out.push(' ');
        for b in bytes {
            out.push_str(&format!("{b:02x}"));
        }
        out.push('\n');
    }
    out
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    hex.as_bytes()
        .chunks_exact(2)
        .map(|pair| {
            let digit = |b: u8| {
                char::from(b)
                    .to_digit(16)
                    .and_then(|d| u8::try_from(d).ok())
            };
            match *pair {
                [hi, lo] => Some(digit(hi)? << 4 | digit(lo)?),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let chunks = vec![
            (Dir::Client, vec![0x16, 3, 1]),
            (Dir::Server, vec![0xff, 0]),
        ];
        let text = render("two writes\nsecond line", &chunks);
        assert!(text.starts_with("# two writes\n# second line\nC 160301\nS ff00\n"));
        assert_eq!(parse(&text), Ok(chunks));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("X 00", "line 1: expected C or S, found \"X\""),
            ("C 0", "line 1: bad hex"),
            ("# c\n\nS zz", "line 3: bad hex"),
            ("C +1", "line 1: bad hex"),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), Err(want.to_owned()), "{text}");
        }
        assert_eq!(parse("C"), Ok(vec![(Dir::Client, vec![])]));
    }
}
