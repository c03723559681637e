//! The SMTP side of a probe: a reply reader with check-then-parse framing (a reply may
//! arrive in pieces or several at once), bounded lines and replies, EHLO capability parsing,
//! and the leftover-bytes guard that catches plaintext injected after `220` to STARTTLS.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::event::Failure;
use crate::sanitize;

/// Longest line we keep; RFC 5321 §4.5.3.1.5 allows 512 octets, real servers send more.
pub const MAX_LINE: usize = 2048;
/// A reply with more lines than this is cut (an endless `250-` reply is an attack or a bug).
pub const MAX_REPLY_LINES: usize = 500;
/// A reply with more bytes than this is cut, counting bytes of over-long lines we discarded.
pub const MAX_REPLY_BYTES: usize = 2 * 1024 * 1024;

/// One complete SMTP reply (RFC 5321 §4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    /// Text of each line after the code and separator, escaped for display.
    pub lines: Vec<String>,
}

impl Reply {
    /// The RFC 3463 enhanced status code (`2.0.0`) at the start of the first line, if any.
    pub fn enhanced(&self) -> Option<&str> {
        let first = self.lines.first()?;
        let word = first.split_whitespace().next()?;
        let parts: Vec<&str> = word.split('.').collect();
        let ok = parts.len() == 3
            && matches!(parts[0], "2" | "4" | "5")
            && parts[1..]
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
        ok.then_some(word)
    }

    /// EHLO keywords (upper-cased first word of each line after the greeting line).
    pub fn capabilities(&self) -> Vec<String> {
        self.lines
            .iter()
            .skip(1)
            .filter_map(|l| l.split_whitespace().next())
            .map(|w| w.to_ascii_uppercase())
            .collect()
    }

    pub fn has_capability(&self, keyword: &str) -> bool {
        self.capabilities().iter().any(|c| c == keyword)
    }
}

/// Why a reply could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error("the server closed the connection")]
    Closed,
    #[error("the connection was reset")]
    Reset,
    /// `looks_like_tls`: the raw bytes start like a TLS record (the port speaks TLS first).
    #[error("not an SMTP reply: {detail}")]
    NotSmtp {
        detail: String,
        looks_like_tls: bool,
    },
    #[error("reply too long: cut after {lines} lines, {bytes} bytes")]
    TooLong { lines: usize, bytes: usize },
    #[error("read failed: {0}")]
    Io(std::io::Error),
}

impl ReplyError {
    /// The attempt's failure when a reply could not be read: the one mapping the engine and
    /// the scanner share. `io` maps a read error (the engine looks inside it for rustls' own
    /// error; the scanner reads plain TCP and uses [`io_failure`]).
    pub fn failure(self, io: impl FnOnce(std::io::Error) -> Failure) -> Failure {
        match self {
            ReplyError::Closed => Failure::PeerClosed,
            ReplyError::Reset => Failure::PeerReset,
            ReplyError::NotSmtp {
                detail,
                looks_like_tls,
            } => Failure::NotSmtp {
                detail,
                looks_like_tls,
            },
            ReplyError::TooLong { lines, bytes } => Failure::ReplyTooLong { lines, bytes },
            ReplyError::Io(e) => io(e),
        }
    }
}

/// An I/O error as a failure, in its own words.
pub fn io_failure(e: std::io::Error) -> Failure {
    Failure::Io {
        detail: e.to_string(),
    }
}

/// One received line, as the reader hands it to its observer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub truncated: bool,
}

/// Reads SMTP replies from a stream, keeping any bytes that arrive beyond the current reply.
pub struct ReplyReader {
    buf: Vec<u8>,
    /// Bytes read from the stream so far (for what a deadline cut short).
    received: u64,
}

impl Default for ReplyReader {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplyReader {
    pub fn new() -> ReplyReader {
        ReplyReader {
            buf: Vec::with_capacity(1024),
            received: 0,
        }
    }

    /// Bytes read from the stream so far, including any of a reply still incomplete.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Bytes received but not yet consumed by a reply. After the `220` to STARTTLS this must
    /// be empty: anything here was sent in plaintext before the handshake.
    pub fn leftover(&self) -> &[u8] {
        &self.buf
    }

    /// Read one complete reply, reporting each line to `on_line` as soon as it is complete.
    pub async fn read_reply<S: AsyncRead + Unpin>(
        &mut self,
        stream: &mut S,
        on_line: &mut (dyn FnMut(Line) + Send),
    ) -> Result<Reply, ReplyError> {
        let mut lines = Vec::new();
        let mut code: Option<u16> = None;
        let mut bytes = 0usize;
        // Bytes of the current over-long line already thrown away.
        let mut skipped = 0usize;
        let mut kept: Option<Vec<u8>> = None;
        loop {
            // Check: is there a complete line in the buffer?
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let mut raw: Vec<u8> = self.buf.drain(..=pos).collect();
                raw.pop();
                if raw.last() == Some(&b'\r') {
                    raw.pop();
                }
                bytes += raw.len() + skipped;
                let truncated = skipped > 0 || raw.len() > MAX_LINE;
                let raw = match kept.take() {
                    Some(prefix) => prefix,
                    None => {
                        raw.truncate(MAX_LINE);
                        raw
                    }
                };
                skipped = 0;
                // Parse: code, separator, text.
                let (this_code, last, text) = parse_line(&raw)?;
                if let Some(c) = code.filter(|c| *c != this_code) {
                    return Err(ReplyError::NotSmtp {
                        looks_like_tls: false,
                        detail: format!(
                            "reply code changed from {c} to {this_code} inside one reply"
                        ),
                    });
                }
                code = Some(this_code);
                let mut shown = sanitize::escape_bytes(&raw);
                if truncated {
                    shown.push_str(" [line cut]");
                }
                on_line(Line {
                    text: shown,
                    truncated,
                });
                lines.push(sanitize::escape_bytes(text));
                if last {
                    return Ok(Reply {
                        code: this_code,
                        lines,
                    });
                }
                if lines.len() >= MAX_REPLY_LINES || bytes >= MAX_REPLY_BYTES {
                    return Err(ReplyError::TooLong {
                        lines: lines.len(),
                        bytes,
                    });
                }
                continue;
            }
            // No complete line: keep the start of an over-long line, drop the rest.
            if self.buf.len() > MAX_LINE {
                if kept.is_none() {
                    kept = Some(self.buf[..MAX_LINE].to_vec());
                }
                skipped += self.buf.len();
                self.buf.clear();
                if bytes + skipped >= MAX_REPLY_BYTES {
                    // Show the start of the line that never ended, so the report quotes it.
                    if let Some(start) = kept.take() {
                        let mut text = sanitize::escape_bytes(&start);
                        text.push_str(" [line cut]");
                        on_line(Line {
                            text,
                            truncated: true,
                        });
                    }
                    return Err(ReplyError::TooLong {
                        lines: lines.len(),
                        bytes: bytes + skipped,
                    });
                }
            }
            let mut chunk = [0u8; 4096];
            let n = match stream.read(&mut chunk).await {
                Ok(0) => return Err(ReplyError::Closed),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    return Err(ReplyError::Reset);
                }
                Err(e) => return Err(ReplyError::Io(e)),
            };
            self.received += n as u64;
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// Split a reply line into code, "is last line", and text.
fn parse_line(raw: &[u8]) -> Result<(u16, bool, &[u8]), ReplyError> {
    let not_smtp = || ReplyError::NotSmtp {
        detail: sanitize::cap(&sanitize::escape_bytes(raw), 80),
        // A TLS handshake record: content type 22, major version 3.
        looks_like_tls: raw.starts_with(&[0x16, 0x03]),
    };
    if raw.len() < 3 || !raw[..3].iter().all(u8::is_ascii_digit) || !(b'2'..=b'5').contains(&raw[0])
    {
        return Err(not_smtp());
    }
    let code =
        u16::from(raw[0] - b'0') * 100 + u16::from(raw[1] - b'0') * 10 + u16::from(raw[2] - b'0');
    match raw.get(3) {
        None => Ok((code, true, &[])),
        Some(b' ') => Ok((code, true, &raw[4..])),
        Some(b'-') => Ok((code, false, &raw[4..])),
        Some(_) => Err(not_smtp()),
    }
}

/// Send one command line (CRLF added).
pub async fn send_line<S: AsyncWrite + Unpin>(stream: &mut S, line: &str) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(line.len() + 2);
    bytes.extend_from_slice(line.as_bytes());
    bytes.extend_from_slice(b"\r\n");
    stream.write_all(&bytes).await?;
    stream.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// The one mapping: each way a reply can fail is the failure the diagnosis knows; read
    /// errors go to the caller's own mapping.
    #[test]
    fn reply_errors_map_to_failures() {
        let io = |e: std::io::Error| Failure::Io {
            detail: format!("mapped: {e}"),
        };
        assert_eq!(ReplyError::Closed.failure(io), Failure::PeerClosed);
        assert_eq!(ReplyError::Reset.failure(io), Failure::PeerReset);
        assert_eq!(
            ReplyError::TooLong {
                lines: 501,
                bytes: 9
            }
            .failure(io),
            Failure::ReplyTooLong {
                lines: 501,
                bytes: 9
            }
        );
        assert_eq!(
            ReplyError::NotSmtp {
                detail: "x".into(),
                looks_like_tls: true
            }
            .failure(io),
            Failure::NotSmtp {
                detail: "x".into(),
                looks_like_tls: true
            }
        );
        let got = ReplyError::Io(std::io::Error::other("boom")).failure(io);
        assert_eq!(
            got,
            Failure::Io {
                detail: "mapped: boom".into()
            }
        );
        assert_eq!(
            io_failure(std::io::Error::other("boom")),
            Failure::Io {
                detail: "boom".into()
            }
        );
    }

    async fn read_all(chunks: &[&[u8]]) -> (Vec<Result<Reply, String>>, Vec<Line>, Vec<u8>) {
        let (mut client, mut server) = tokio::io::duplex(1 << 20);
        let owned: Vec<Vec<u8>> = chunks.iter().map(|c| c.to_vec()).collect();
        let writer = tokio::spawn(async move {
            for c in owned {
                server.write_all(&c).await.ok();
            }
        });
        let mut reader = ReplyReader::new();
        let mut seen = Vec::new();
        let mut replies = Vec::new();
        loop {
            match reader.read_reply(&mut client, &mut |l| seen.push(l)).await {
                Ok(r) => replies.push(Ok(r)),
                Err(e) => {
                    replies.push(Err(e.to_string()));
                    break;
                }
            }
        }
        writer.await.ok();
        (replies, seen, reader.leftover().to_vec())
    }

    #[tokio::test]
    async fn multi_line_reply_in_pieces() {
        let (replies, lines, _) = read_all(&[
            b"250-mx.example",
            b".com hi\r\n250-STARTTLS\r",
            b"\n250 8BITMIME\r\n",
        ])
        .await;
        let r = replies[0].as_ref().unwrap();
        assert_eq!(r.code, 250);
        assert_eq!(r.capabilities(), vec!["STARTTLS", "8BITMIME"]);
        assert!(r.has_capability("STARTTLS"));
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].text, "250-mx.example.com hi");
    }

    #[tokio::test]
    async fn several_replies_at_once_and_bare_lf() {
        let (replies, _, _) = read_all(&[b"220 ready\n250 ok\r\n221 2.0.0 bye\r\n"]).await;
        let codes: Vec<u16> = replies
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|r| r.code)
            .collect();
        assert_eq!(codes, vec![220, 250, 221]);
        assert_eq!(replies[2].as_ref().unwrap().enhanced(), Some("2.0.0"));
        assert_eq!(replies[3], Err("the server closed the connection".into()));
    }

    #[tokio::test]
    async fn leftover_bytes_are_kept_after_a_reply() {
        let (mut client, mut server) = tokio::io::duplex(4096);
        server
            .write_all(b"220 2.0.0 Ready to start TLS\r\n250-INJECTED\r\n")
            .await
            .unwrap();
        let mut reader = ReplyReader::new();
        let r = reader.read_reply(&mut client, &mut |_| {}).await.unwrap();
        assert_eq!(r.code, 220);
        assert_eq!(reader.leftover(), b"250-INJECTED\r\n");
    }

    #[tokio::test]
    async fn huge_line_is_cut_not_buffered() {
        let mut huge = b"250 ".to_vec();
        huge.extend(std::iter::repeat_n(b'A', 1_000_000));
        huge.extend_from_slice(b"\r\n");
        let (replies, lines, _) = read_all(&[&huge]).await;
        let r = replies[0].as_ref().unwrap();
        assert_eq!(r.code, 250);
        assert!(lines[0].truncated);
        assert!(lines[0].text.len() < MAX_LINE + 20);
        assert!(lines[0].text.ends_with("[line cut]"));
    }

    #[tokio::test]
    async fn endless_multi_line_reply_is_cut() {
        let line = b"250-more and more\r\n".repeat(MAX_REPLY_LINES + 10);
        let (replies, lines, _) = read_all(&[&line]).await;
        assert!(
            replies[0]
                .as_ref()
                .unwrap_err()
                .starts_with("reply too long")
        );
        assert_eq!(lines.len(), MAX_REPLY_LINES);
    }

    #[tokio::test]
    async fn not_smtp_and_changing_codes() {
        let (replies, _, _) = read_all(&[b"SSH-2.0-OpenSSH_9.2\r\n"]).await;
        assert!(
            replies[0]
                .as_ref()
                .unwrap_err()
                .starts_with("not an SMTP reply: SSH-2.0")
        );
        let (replies, _, _) = read_all(&[b"250-a\r\n550 b\r\n"]).await;
        assert!(
            replies[0]
                .as_ref()
                .unwrap_err()
                .contains("reply code changed")
        );
        let (replies, _, _) = read_all(&[b"\x16\x03\x01\x00\x05hello\n"]).await;
        assert!(replies[0].as_ref().unwrap_err().contains("\\x16\\x03"));
    }

    /// The reader judges "this port speaks TLS first" on the raw bytes, not on escaped text.
    #[tokio::test]
    async fn a_tls_record_is_recognised_on_the_raw_bytes() {
        let mut reader = ReplyReader::new();
        let mut on_line = |_: Line| {};
        let mut tls: &[u8] = b"\x16\x03\x03\x00\x05hello\n";
        let e = reader.read_reply(&mut tls, &mut on_line).await.unwrap_err();
        assert!(
            matches!(
                e,
                ReplyError::NotSmtp {
                    looks_like_tls: true,
                    ..
                }
            ),
            "{e}"
        );
        // A server whose text merely reads "\x16\x03" is not TLS.
        let mut reader = ReplyReader::new();
        let mut text: &[u8] = b"\\x16\\x03 hello\n";
        let e = reader
            .read_reply(&mut text, &mut on_line)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                ReplyError::NotSmtp {
                    looks_like_tls: false,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn enhanced_codes() {
        let r = |s: &str| Reply {
            code: 454,
            lines: vec![s.to_string()],
        };
        assert_eq!(r("4.7.0 TLS not available").enhanced(), Some("4.7.0"));
        assert_eq!(r("TLS not available").enhanced(), None);
        assert_eq!(r("1.2.3 x").enhanced(), None);
        assert_eq!(r("").enhanced(), None);
    }
}
