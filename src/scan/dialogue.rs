//! One probe connection: connect, banner → EHLO → STARTTLS with `engine::smtp` (or nothing,
//! in implicit-TLS mode), write the ClientHello, read the answer, close.
//!
//! The SMTP side is what a sending MTA does and fails the same ways as a probe, reported as
//! the engine's `Failure` so the scan can stop with the same words. After the ClientHello
//! we never send QUIT (the server is inside TLS by then); dropping the socket closes it.
//! Bytes the server sends after its `220` to STARTTLS are refused, as in the probe.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::answer::{Answer, AnswerReader};
use crate::event::Failure;
use crate::net::smtp::{self, ReplyReader};
use crate::plan::{Plan, TlsMode};

/// Connect and walk SMTP up to the point where TLS starts.
pub async fn open(plan: &Plan, addr: SocketAddr) -> Result<TcpStream, Failure> {
    let mut tcp = crate::net::connect(plan, addr).await?;
    if plan.mode == TlsMode::Implicit {
        return Ok(tcp);
    }
    let wait = plan.timeouts.reply;
    let mut reader = ReplyReader::new();
    expect(&mut reader, &mut tcp, wait, 220).await?;
    send(&mut tcp, wait, &format!("EHLO {}", plan.ehlo)).await?;
    let ehlo = expect(&mut reader, &mut tcp, wait, 250).await?;
    if !ehlo.has_capability("STARTTLS") {
        let _ = send(&mut tcp, wait, "QUIT").await;
        return Err(Failure::StarttlsNotOffered);
    }
    send(&mut tcp, wait, "STARTTLS").await?;
    expect(&mut reader, &mut tcp, wait, 220).await?;
    if !reader.leftover().is_empty() {
        return Err(Failure::PlaintextInjection);
    }
    Ok(tcp)
}

/// Write `hello` and read the answer within `wait` as a whole: a deadline from the write,
/// so a server that dribbles bytes, empty records or warning alerts cannot stretch it.
pub async fn exchange(
    mut tcp: TcpStream,
    hello: &[u8],
    mut reader: AnswerReader,
    wait: Duration,
) -> Answer {
    let deadline = tokio::time::Instant::now() + wait;
    match tokio::time::timeout_at(deadline, tcp.write_all(hello)).await {
        Err(_) => return Answer::Timeout,
        Ok(Err(e)) => return reader.finish(io_answer(&e)),
        Ok(Ok(())) => {}
    }
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
            Err(_) => return reader.finish(Answer::Timeout),
            Ok(Ok(0)) => return reader.finish(Answer::Closed),
            Ok(Ok(n)) => {
                if let Some(a) = reader.push(buf.get(..n).unwrap_or_default()) {
                    return a;
                }
            }
            Ok(Err(e)) => return reader.finish(io_answer(&e)),
        }
    }
}

/// One whole scan connection (SMTP up to STARTTLS, then the hello and its answer) within
/// [`crate::event::ATTEMPT_TIMEOUTS`] × `--timeout`, as a probe attempt: each reply and the
/// answer have their own deadline, this one bounds their sum.
pub async fn connection(
    plan: &Plan,
    addr: SocketAddr,
    hello: &[u8],
    want_kx: bool,
) -> Result<Answer, Failure> {
    let wait = plan.timeouts.reply;
    let whole = wait.saturating_mul(crate::event::ATTEMPT_TIMEOUTS);
    let work = async {
        let tcp = open(plan, addr).await?;
        Ok(exchange(tcp, hello, AnswerReader::new(want_kx), wait).await)
    };
    // The connect has its own timeout and is not the server's pace: it is outside.
    tokio::time::timeout(whole + plan.timeouts.connect, work)
        .await
        .unwrap_or(Ok(Answer::Timeout))
}

fn io_answer(e: &io::Error) -> Answer {
    match e.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => Answer::Reset,
        io::ErrorKind::UnexpectedEof => Answer::Closed,
        _ => Answer::Malformed(format!("read failed: {e}")),
    }
}

async fn send(tcp: &mut TcpStream, wait: Duration, line: &str) -> Result<(), Failure> {
    match timeout(wait, smtp::send_line(tcp, line)).await {
        Err(_) => Err(Failure::Timeout),
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionReset => Err(Failure::PeerReset),
        Ok(Err(e)) => Err(Failure::Io {
            detail: e.to_string(),
        }),
    }
}

async fn expect(
    reader: &mut ReplyReader,
    tcp: &mut TcpStream,
    wait: Duration,
    code: u16,
) -> Result<smtp::Reply, Failure> {
    let reply = match timeout(wait, reader.read_reply(tcp, &mut |_| {})).await {
        Err(_) => return Err(Failure::Timeout),
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return Err(e.failure(smtp::io_failure)),
    };
    if reply.code != code {
        if reply.code != 421 {
            let _ = send(tcp, wait, "QUIT").await;
        }
        return Err(Failure::BadReply { code: reply.code });
    }
    Ok(reply)
}

/// What a dialogue failure means, in words for the report.
pub fn describe(f: &Failure) -> String {
    match f {
        Failure::DnsFailed { detail } | Failure::NoAddresses { detail, .. } => detail.clone(),
        Failure::ConnectRefused => "connection refused".into(),
        Failure::ConnectTimeout => "connect timed out".into(),
        Failure::Unreachable { detail } => format!("unreachable: {detail}"),
        Failure::Timeout => "the server stopped answering (timeout)".into(),
        Failure::PeerClosed => "the server closed the connection (FIN)".into(),
        Failure::PeerReset => "the connection was reset (RST)".into(),
        Failure::BadReply { code: 421 } => "421: the server is refusing connections".into(),
        Failure::BadReply { code } => format!("unexpected SMTP reply {code}"),
        Failure::NotSmtp { detail, .. } => format!("not SMTP: {detail}"),
        Failure::ReplyTooLong { lines, bytes } => {
            format!("SMTP reply too long ({lines} lines, {bytes} bytes)")
        }
        Failure::StarttlsNotOffered => "STARTTLS is not offered".into(),
        Failure::PlaintextInjection => "plaintext injected after the 220 to STARTTLS".into(),
        Failure::Tls { error, .. } => error.clone(),
        Failure::Config { detail } | Failure::Io { detail } => detail.clone(),
        Failure::Cancelled => "cancelled".into(),
    }
}
