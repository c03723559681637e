//! The raw-socket misbehaviours: reading exactly one TLS record, closing with FIN or RST,
//! writing a fatal alert, hostile and huge replies, and holding a socket silently.
//!
//! Closing "with FIN" is more delicate than dropping the socket: if the client's bytes
//! (say its ClientHello) are unread in our receive buffer, or arrive after we closed, the
//! kernel answers with RST and the client may see "connection reset" instead of EOF. So
//! [`finish`] shuts down our write side and then *drains* what the client still sends,
//! until it closes or a short deadline passes. [`reset`] is the deliberate opposite.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::LabError;
use super::smtp::{self, READ_IDLE, SmtpConn};

/// A fatal `internal_error` alert record: alert, TLS 1.2 record version, length 2,
/// level fatal (2), description internal_error (80).
pub const FATAL_INTERNAL_ERROR: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50];
/// A fatal `protocol_version` alert (70), in a TLS 1.0 record so every client version reads it.
pub const FATAL_PROTOCOL_VERSION: [u8; 7] = [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46];

/// Largest TLS record body we accept from the client: 2^14 plus the ciphertext expansion
/// allowed by RFC 8446 section 5.2.
const MAX_RECORD_BODY: usize = 16384 + 256;
/// How long [`finish`] waits for the client to close after we did.
const LINGER: Duration = Duration::from_secs(5);
/// Upper bound on how long a silent scenario holds a connection.
const HOLD: Duration = Duration::from_secs(600);

/// Read one complete TLS record (5-byte header + body) and return it.
pub async fn read_record<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Vec<u8>, LabError> {
    let mut record = vec![0u8; 5];
    read_exact_timed(stream, &mut record).await?;
    let len = usize::from(u16::from_be_bytes([record[3], record[4]]));
    if len > MAX_RECORD_BODY {
        return Err(LabError::RecordTooLarge(len));
    }
    record.resize(5 + len, 0);
    read_exact_timed(stream, &mut record[5..]).await?;
    Ok(record)
}

/// The size of the first TLS record (header included) without consuming anything, so the
/// record can still reach a real TLS server: `peek` until the 5-byte header is in.
pub async fn first_record_len(stream: &TcpStream) -> Result<usize, LabError> {
    let mut head = [0u8; 5];
    let peeked = tokio::time::timeout(READ_IDLE, async {
        loop {
            let n = stream.peek(&mut head).await?;
            if n == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
            }
            if n >= head.len() {
                return Ok(());
            }
            // Fewer than 5 bytes so far: wait for more before peeking again.
            stream.readable().await?;
            tokio::task::yield_now().await;
        }
    })
    .await
    .map_err(|_| LabError::Timeout("client idle"))?;
    peeked?;
    Ok(5 + usize::from(u16::from_be_bytes([head[3], head[4]])))
}

async fn read_exact_timed<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut [u8],
) -> Result<(), LabError> {
    tokio::time::timeout(READ_IDLE, stream.read_exact(buf))
        .await
        .map_err(|_| LabError::Timeout("client idle"))??;
    Ok(())
}

/// Close gracefully: shut down our write side (FIN, or close_notify then FIN over TLS),
/// then discard what the client still sends until it closes, for at most a few seconds.
pub async fn finish<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) {
    let shut = tokio::time::timeout(smtp::WRITE_TIMEOUT, stream.shutdown()).await;
    if matches!(shut, Ok(Ok(()))) {
        drain(&mut stream, LINGER).await;
    }
}

/// Abort the connection with RST: zero linger, then drop.
pub fn reset(stream: TcpStream) -> Result<(), LabError> {
    stream.set_zero_linger()?;
    drop(stream);
    Ok(())
}

/// Send nothing; discard what the client sends until it closes (or [`HOLD`] passes).
pub async fn hold_silently<S: AsyncRead + Unpin>(stream: &mut S) {
    drain(stream, HOLD).await;
}

/// Read and discard until EOF, error, or `limit` has passed.
async fn drain<S: AsyncRead + Unpin>(stream: &mut S, limit: Duration) {
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(limit, async {
        while let Ok(n) = stream.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

/// The `hostile-bytes` banner: a normal-looking greeting carrying a screen clear, colour,
/// a bell, a window-title escape (OSC), a NUL and a lone CR, ended by a proper CRLF.
pub fn hostile_banner(name: &str) -> Vec<u8> {
    let mut line = smtp::banner(name).into_bytes();
    line.truncate(line.len() - 2);
    line.extend_from_slice(b" \x1b[2J\x1b[31mRED\x1b[0m bell:\x07 title:\x1b]0;pwned\x07");
    line.extend_from_slice(b" nul:\x00 lone-cr:\rOVERWRITTEN\r\n");
    line
}

/// Number of continuation lines after the 1 MB line in the `huge-reply` EHLO reply.
pub const HUGE_LINES: usize = 100_000;
/// Length of the single huge line's text (after `250-`).
pub const HUGE_LINE_LEN: usize = 1 << 20;

/// The `huge-reply` EHLO reply: one 1 MB line, then [`HUGE_LINES`] continuation lines,
/// then a final `250 8BITMIME`. Written in chunks, each bounded by the write timeout, so a
/// client that stops reading ends the task instead of pinning it.
pub async fn huge_ehlo_reply<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut SmtpConn<S>,
) -> Result<(), LabError> {
    conn.send(b"250-").await?;
    let chunk = vec![b'A'; 64 * 1024];
    for _ in 0..HUGE_LINE_LEN / chunk.len() {
        conn.send(&chunk).await?;
    }
    conn.send(b"\r\n").await?;
    let mut batch = String::with_capacity(32 * 1024);
    for i in 0..HUGE_LINES {
        batch.push_str(&format!("250-HUGE-{i:06}\r\n"));
        if batch.len() >= 30 * 1024 {
            conn.send(batch.as_bytes()).await?;
            batch.clear();
        }
    }
    batch.push_str("250 8BITMIME\r\n");
    conn.send(batch.as_bytes()).await
}

/// What the `not-smtp` server says on connect: an SSH greeting (a port mix-up).
pub const NOT_SMTP_GREETING: &[u8] = b"SSH-2.0-OpenSSH_9.6 tlsdive-lab\r\n";
