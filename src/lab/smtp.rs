//! The lab's side of the SMTP dialogue: a bounded command-line reader, timed writes,
//! and the reply texts every scenario shares.
//!
//! The reader buffers what it reads; a command line longer than [`MAX_LINE`] (CRLF
//! included) closes the connection, as does a client idle for [`READ_IDLE`]. At STARTTLS
//! the server takes the stream back with [`SmtpConn::into_stream`] and *drops* whatever the
//! client pipelined after the command: those bytes were sent in plaintext and must not be
//! treated as part of the TLS session (RFC 3207 section 4.2; the CVE-2011-0411 fix).

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::LabError;
use super::pki::SERVER_NAME;

/// Longest accepted command line, CRLF included (RFC 5321 section 4.5.3.1.4 says 512;
/// the lab is lenient but bounded).
pub const MAX_LINE: usize = 4096;
/// How long a client may stay silent before the lab closes the connection.
pub const READ_IDLE: Duration = Duration::from_secs(120);
/// How long one write may block on a client that stopped reading.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// One SMTP command from the client, verb upper-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The verb, ASCII upper-case (`EHLO`, `STARTTLS`, ...).
    pub verb: String,
    /// Everything after the verb and its separating space, as received (lossy UTF-8).
    pub arg: String,
}

impl Command {
    fn parse(line: &[u8]) -> Command {
        let text = String::from_utf8_lossy(line);
        let (verb, arg) = match text.split_once(' ') {
            Some((verb, arg)) => (verb, arg),
            None => (text.as_ref(), ""),
        };
        Command {
            verb: verb.to_ascii_uppercase(),
            arg: arg.to_string(),
        }
    }
}

/// An SMTP connection from the server's side, generic over plain TCP or TLS.
pub struct SmtpConn<S> {
    stream: S,
    buf: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> SmtpConn<S> {
    /// Wrap a fresh stream; nothing has been read yet.
    pub fn new(stream: S) -> Self {
        SmtpConn {
            stream,
            buf: Vec::with_capacity(512),
        }
    }

    /// Read one command line. `Ok(None)` when the client closed cleanly between lines.
    pub async fn read_command(&mut self) -> Result<Option<Command>, LabError> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(Command::parse(&line)));
            }
            if self.buf.len() >= MAX_LINE {
                return Err(LabError::LineTooLong);
            }
            let mut chunk = [0u8; 1024];
            let want = chunk.len().min(MAX_LINE - self.buf.len());
            let n = tokio::time::timeout(READ_IDLE, self.stream.read(&mut chunk[..want]))
                .await
                .map_err(|_| LabError::Timeout("client idle"))??;
            if n == 0 {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(LabError::UnexpectedEof)
                };
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Write `bytes` in one write call (then flush), bounded by [`WRITE_TIMEOUT`].
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), LabError> {
        write_timed(&mut self.stream, bytes).await
    }

    /// Give the stream back, dropping any bytes the client pipelined (see the module doc).
    pub fn into_stream(self) -> S {
        self.stream
    }
}

/// `write_all` + `flush`, bounded by [`WRITE_TIMEOUT`].
pub async fn write_timed<S: AsyncWrite + Unpin>(
    stream: &mut S,
    bytes: &[u8],
) -> Result<(), LabError> {
    tokio::time::timeout(WRITE_TIMEOUT, async {
        stream.write_all(bytes).await?;
        stream.flush().await
    })
    .await
    .map_err(|_| LabError::Timeout("client not reading"))??;
    Ok(())
}

/// The greeting, naming the scenario: `220 mx.lab.tlsdive.test ESMTP tlsdive-lab <name>`.
pub fn banner(name: &str) -> String {
    format!("220 {SERVER_NAME} ESMTP tlsdive-lab {name}\r\n")
}

/// The EHLO reply; STARTTLS is offered only when `starttls` is true.
pub fn ehlo_reply(starttls: bool) -> String {
    let mut reply = format!("250-{SERVER_NAME}\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n");
    if starttls {
        reply.push_str("250-STARTTLS\r\n");
    }
    reply.push_str("250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n");
    reply
}

/// The reply to HELO.
pub fn helo_reply() -> String {
    format!("250 {SERVER_NAME}\r\n")
}

/// `220` to STARTTLS.
pub const READY_FOR_TLS: &[u8] = b"220 2.0.0 Ready to start TLS\r\n";
/// Reply to NOOP and RSET.
pub const OK: &[u8] = b"250 2.0.0 OK\r\n";
/// Reply to QUIT.
pub const BYE: &[u8] = b"221 2.0.0 bye\r\n";
/// Reply to any command the lab does not implement.
pub const NOT_IMPLEMENTED: &[u8] = b"502 5.5.2 Command not implemented\r\n";
/// Reply to STARTTLS when TLS is not offered.
pub const STARTTLS_NOT_OFFERED: &[u8] = b"502 5.5.1 STARTTLS not offered\r\n";
/// Reply to STARTTLS when TLS is already active.
pub const TLS_ALREADY_ACTIVE: &[u8] = b"503 5.5.1 TLS already active\r\n";
/// Reply to STARTTLS in the `starttls-454` scenario.
pub const TLS_NOT_AVAILABLE: &[u8] = b"454 4.7.0 TLS not available due to local problem\r\n";
/// Reply to EHLO and HELO in the `ehlo-rejected` scenario.
pub const EHLO_REJECTED: &[u8] = b"550 5.7.1 EHLO rejected\r\n";
/// Banner of the `banner-421` scenario.
pub const BANNER_421: &[u8] = b"421 4.3.2 Service not available, closing transmission channel\r\n";
/// Banner of the `banner-554` scenario: a permanent refusal of this client.
pub const BANNER_554: &[u8] =
    b"554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.example\r\n";
/// What Postfix with `smtpd_tls_req_ccert = yes` says to a command after a handshake
/// without a client certificate.
pub const NO_CLIENT_CERT: &[u8] =
    b"421 4.7.1 mx.lab.tlsdive.test Error: No client certificate presented\r\n";
/// What Postfix with `smtpd_tls_req_ccert = yes` says to a command after a handshake in
/// which the client presented a certificate that does not verify against its CAs.
pub const CLIENT_CERT_NOT_TRUSTED: &[u8] =
    b"421 4.7.1 mx.lab.tlsdive.test Error: Client certificate not trusted\r\n";
/// What a rate-limiting MTA says to a second concurrent connection from the same client.
pub const BANNER_421_BUSY: &[u8] =
    b"421 4.7.0 Too many concurrent connections from your address, try again later\r\n";
