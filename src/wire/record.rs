//! TLS record framing for one direction of a connection.
//!
//! Reads arrive split anywhere (one byte at a time, or many records at once).
//! `RecordBuffer` keeps at most one partial record and returns every record that completes,
//! checking each header as soon as its bytes arrive. A header that cannot be TLS (content
//! type outside 20..=24, major version not 3, length over 2^14 + 2048, RFC 5246 §6.2.3)
//! — judged once all five header bytes are in, so the reason can quote them — means the peer is not speaking TLS — typically an SMTP reply where a ServerHello was
//! expected — so the buffer reports it once with the bytes shown escaped and then ignores
//! the rest of that direction. Memory stays bounded by one maximal record.

/// Record header size: content type, version, length.
pub const HEADER_LEN: usize = 5;
/// Largest payload accepted: TLSCiphertext may carry 2^14 + 2048 bytes (RFC 5246 §6.2.3).
pub const MAX_PAYLOAD: usize = (1 << 14) + 2048;
/// How many bytes of a non-TLS stream are quoted in the reason.
const QUOTE_LEN: usize = 32;

/// One complete record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub content_type: u8,
    pub version: u16,
    pub payload: Vec<u8>,
}

/// What the framer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framed {
    Record(RawRecord),
    /// The stream is not TLS; reported once, then the direction is ignored.
    NotTls {
        /// First header byte seen, for the record's content type label.
        content_type: u8,
        /// How many bytes were seen when the verdict fell.
        seen: usize,
        reason: String,
    },
}

/// Accumulates one direction's bytes and cuts them into records.
#[derive(Debug, Default, Clone)]
pub struct RecordBuffer {
    /// The partial record: header bytes, then payload bytes.
    partial: Vec<u8>,
    not_tls: bool,
}

impl RecordBuffer {
    pub fn new() -> Self {
        Self::default()
    }

    /// True once the stream was judged not to be TLS; all later input is ignored.
    pub fn is_not_tls(&self) -> bool {
        self.not_tls
    }

    /// Bytes of an incomplete record held back.
    pub fn pending(&self) -> usize {
        self.partial.len()
    }

    /// Adds `input` and returns the records it completed, in order.
    pub fn push(&mut self, mut input: &[u8]) -> Vec<Framed> {
        let mut out = Vec::new();
        while !input.is_empty() && !self.not_tls {
            if self.partial.len() < HEADER_LEN {
                let n = (HEADER_LEN - self.partial.len()).min(input.len());
                let (head, tail) = input.split_at(n);
                self.partial.extend_from_slice(head);
                // Judge complete headers only, so the reason can quote at least five bytes.
                if self.partial.len() < HEADER_LEN {
                    break;
                }
                if let Some(why) = header_problem(&self.partial) {
                    out.push(self.give_up(why, tail));
                    break;
                }
                input = tail;
                continue;
            }
            let want = HEADER_LEN + declared_len(&self.partial) - self.partial.len();
            let n = want.min(input.len());
            let (body, tail) = input.split_at(n);
            self.partial.extend_from_slice(body);
            input = tail;
            if n == want {
                out.push(Framed::Record(self.finish()));
            }
        }
        // A header with a zero-length payload completes without further input.
        if self.partial.len() == HEADER_LEN && declared_len(&self.partial) == 0 {
            out.push(Framed::Record(self.finish()));
        }
        out
    }

    fn finish(&mut self) -> RawRecord {
        let bytes = std::mem::take(&mut self.partial);
        let content_type = bytes.first().copied().unwrap_or_default();
        let version = match bytes.get(1..3) {
            Some(&[a, b]) => u16::from_be_bytes([a, b]),
            _ => 0,
        };
        let payload = bytes.get(HEADER_LEN..).unwrap_or_default().to_vec();
        RawRecord {
            content_type,
            version,
            payload,
        }
    }

    fn give_up(&mut self, why: String, tail: &[u8]) -> Framed {
        let mut quoted: Vec<u8> = self.partial.clone();
        quoted.extend(tail.iter().take(QUOTE_LEN.saturating_sub(quoted.len())));
        let content_type = self.partial.first().copied().unwrap_or_default();
        let seen = self.partial.len() + tail.len();
        self.partial = Vec::new();
        self.not_tls = true;
        Framed::NotTls {
            content_type,
            seen,
            reason: format!(
                "not TLS: {why}; starts with '{}'{}",
                escape(&quoted),
                hint(&quoted)
            ),
        }
    }
}

/// The payload length a complete header declares.
fn declared_len(header: &[u8]) -> usize {
    match header.get(3..5) {
        Some(&[a, b]) => usize::from(u16::from_be_bytes([a, b])),
        _ => 0,
    }
}

/// Why these header bytes cannot start a TLS record, if they cannot.
fn header_problem(header: &[u8]) -> Option<String> {
    if let Some(&ct) = header.first()
        && !(20..=24).contains(&ct)
    {
        return Some(format!("content type {ct} is not 20..=24"));
    }
    if let Some(&major) = header.get(1)
        && major != 3
    {
        return Some(format!("record version major {major} is not 3"));
    }
    let len = declared_len(header);
    (header.len() >= HEADER_LEN && len > MAX_PAYLOAD)
        .then(|| format!("record length {len} exceeds {MAX_PAYLOAD}"))
}

/// A guess at what the bytes are instead.
/// Whether `bytes` start like an SMTP reply line: three digits, then a space, a hyphen or
/// the end of the line (RFC 5321 §4.2). No TLS record can start so: 0x30-0x39 is no
/// content type.
pub fn looks_like_smtp_reply(bytes: &[u8]) -> bool {
    let digits = bytes
        .get(..3)
        .is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    digits && matches!(bytes.get(3), None | Some(b' ' | b'-' | b'\r'))
}

fn hint(bytes: &[u8]) -> &'static str {
    if looks_like_smtp_reply(bytes) {
        " — an SMTP reply?"
    } else if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        " — an SSLv2-style header?"
    } else if bytes
        .iter()
        .all(|b| b.is_ascii_graphic() || b" \r\n\t".contains(b))
    {
        " — plain text?"
    } else {
        ""
    }
}

/// Printable ASCII as is, CR/LF/TAB as `\r` `\n` `\t`, everything else as `\xNN`, so no
/// control character (an ANSI escape, say) from the peer reaches a terminal.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(stream: &[u8], chunk: usize) -> Vec<Framed> {
        let mut buf = RecordBuffer::new();
        stream
            .chunks(chunk.max(1))
            .flat_map(|c| buf.push(c))
            .collect()
    }

    #[test]
    fn same_records_at_every_split() {
        let mut stream = vec![22, 3, 1, 0, 3, 1, 2, 3];
        stream.extend([20, 3, 3, 0, 1, 1]);
        stream.extend([23, 3, 3, 0, 0]); // empty record
        stream.extend([21, 3, 3, 0, 2, 2, 40]);
        let whole = records(&stream, stream.len());
        assert_eq!(whole.len(), 4);
        assert_eq!(
            whole.first(),
            Some(&Framed::Record(RawRecord {
                content_type: 22,
                version: 0x0301,
                payload: vec![1, 2, 3]
            }))
        );
        for chunk in 1..stream.len() {
            assert_eq!(records(&stream, chunk), whole, "chunk {chunk}");
        }
        // Two pieces split at every boundary.
        for at in 0..=stream.len() {
            let (a, b) = stream.split_at(at);
            let mut buf = RecordBuffer::new();
            let mut got = buf.push(a);
            got.extend(buf.push(b));
            assert_eq!(got, whole, "split at {at}");
            assert_eq!(buf.pending(), 0);
        }
    }

    #[test]
    fn not_tls_verdicts() {
        // (stream, reason fragment when fed whole, reason fragment when fed byte by byte)
        let cases: &[(&[u8], &str, &str)] = &[
            (
                b"220 mx.example.com ESMTP\r\n",
                "content type 50 is not 20..=24; starts with '220 mx.example.com ESMTP\\r\\n' — an SMTP reply?",
                "starts with '220 m' — an SMTP reply?",
            ),
            (
                b"454 4.7.0 TLS not available\r\n",
                "an SMTP reply?",
                "an SMTP reply?",
            ),
            (
                &[22, 2, 0, 0, 1],
                "record version major 2 is not 3",
                "major 2",
            ),
            (
                &[22, 3, 3, 0xff, 0xff],
                "record length 65535 exceeds 18432",
                "exceeds",
            ),
            (&[0x80, 0x2e, 1, 3, 1], "SSLv2-style", "SSLv2-style"),
            (&[0x1b, b'[', b'2', b'J', b'x'], "'\\x1b[2Jx'", "\\x1b[2Jx"),
        ];
        for (stream, whole, bytewise) in cases {
            for (chunk, fragment) in [(stream.len(), whole), (1, bytewise)] {
                let got = records(stream, chunk);
                let [Framed::NotTls { reason, .. }] = got.as_slice() else {
                    panic!("{stream:?} chunk {chunk}: {got:?}");
                };
                assert!(reason.contains(fragment), "{reason}");
            }
        }
        // Fewer than five bytes: no verdict yet.
        assert!(records(b"220", 1).is_empty());
    }

    #[test]
    fn ignores_everything_after_not_tls() {
        let mut buf = RecordBuffer::new();
        assert_eq!(buf.push(b"220 hi\r\n").len(), 1);
        assert!(buf.is_not_tls());
        assert!(buf.push(&[22, 3, 3, 0, 1, 1]).is_empty());
        assert_eq!(buf.pending(), 0);
    }

    #[test]
    fn largest_record_accepted() {
        let mut stream = vec![23, 3, 3];
        stream.extend(u16::try_from(MAX_PAYLOAD).unwrap_or(0).to_be_bytes());
        stream.resize(HEADER_LEN + MAX_PAYLOAD, 0xaa);
        let got = records(&stream, 1000);
        assert!(matches!(got.as_slice(), [Framed::Record(r)] if r.payload.len() == MAX_PAYLOAD));
    }
}
