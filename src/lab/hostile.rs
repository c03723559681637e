//! Servers that hold a client with time or volume rather than with a wrong answer: a byte
//! just before each idle timeout, endless empty records or warning alerts, a flood after a
//! fatal alert, an SMTP reply that comes late. A client that measures only silence, or
//! reads until silence, never gets away from them; each one here is bounded by [`HOLD`] so
//! a lab server never keeps a task forever either.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

use super::LabError;
use super::faults::FATAL_INTERNAL_ERROR;
use super::smtp::write_timed;

/// The pace of the dribbling scenarios: well under any `--timeout` a test or a person uses,
/// so an idle timeout never fires.
pub const DRIBBLE: Duration = Duration::from_millis(400);
/// The pace after a fatal alert: under the 300 ms of silence that used to end the drain.
pub const DRIBBLE_AFTER_ALERT: Duration = Duration::from_millis(200);
/// How long the `slow-replies` server takes to answer each command.
pub const SLOW_REPLY: Duration = Duration::from_secs(1);
/// How long after its `220` to STARTTLS the `late-plaintext` server sends its extra reply:
/// late enough that the client has read the 220 alone and started TLS.
pub const LATE: Duration = Duration::from_millis(30);
/// Upper bound on how long any of these holds a connection.
const HOLD: Duration = Duration::from_secs(600);

/// Records the flooding scenarios send at once: more than the engine keeps per attempt.
pub const FLOOD: usize = 3000;
/// A warning `unrecognized_name` alert (TLS 1.2 record version).
pub const WARNING_ALERT: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x70];
/// An empty application_data record.
pub const EMPTY_RECORD: [u8; 5] = [0x17, 0x03, 0x03, 0x00, 0x00];

/// Write `bytes` one at a time, `every` apart, until done, the client leaves, or [`HOLD`].
async fn dribble<S: AsyncWrite + Unpin>(
    stream: &mut S,
    bytes: impl Iterator<Item = u8>,
    every: Duration,
) -> Result<(), LabError> {
    let run = async {
        for b in bytes {
            write_timed(stream, &[b]).await?;
            tokio::time::sleep(every).await;
        }
        Ok(())
    };
    tokio::time::timeout(HOLD, run).await.unwrap_or(Ok(()))
}

/// Write `chunk` again and again, `every` apart (zero: as fast as the client reads).
async fn repeat<S: AsyncWrite + Unpin>(
    stream: &mut S,
    chunk: &[u8],
    every: Duration,
) -> Result<(), LabError> {
    let run = async {
        loop {
            write_timed(stream, chunk).await?;
            if !every.is_zero() {
                tokio::time::sleep(every).await;
            }
        }
    };
    tokio::time::timeout(HOLD, run).await.unwrap_or(Ok(()))
}

/// `dribbled-banner`: a long banner line, one byte every [`DRIBBLE`].
pub async fn dribbled_banner<S: AsyncWrite + Unpin>(stream: &mut S) -> Result<(), LabError> {
    let mut line = b"220 ".to_vec();
    line.extend(std::iter::repeat_n(b'.', 2000));
    line.extend_from_slice(b"\r\n");
    dribble(stream, line.into_iter(), DRIBBLE).await
}

/// `dribbled-record`: a handshake record announcing 16 KiB, its body one byte every
/// [`DRIBBLE`] (a ServerHello that would take almost two hours).
pub async fn dribbled_record<S: AsyncWrite + Unpin>(stream: &mut S) -> Result<(), LabError> {
    write_timed(stream, &[0x16, 0x03, 0x03, 0x40, 0x00]).await?;
    dribble(stream, std::iter::repeat_n(0u8, 0x4000), DRIBBLE).await
}

/// `empty-records`: an empty application_data record every [`DRIBBLE`], forever.
pub async fn empty_records<S: AsyncWrite + Unpin>(stream: &mut S) -> Result<(), LabError> {
    repeat(stream, &EMPTY_RECORD, DRIBBLE).await
}

/// `warning-alerts`: a warning alert every [`DRIBBLE`], forever.
pub async fn warning_alerts<S: AsyncWrite + Unpin>(stream: &mut S) -> Result<(), LabError> {
    repeat(stream, &WARNING_ALERT, DRIBBLE).await
}

/// `alert-flood`, `empty-record-flood`: [`FLOOD`] copies of `record` in one write.
pub async fn flood<S: AsyncWrite + Unpin>(stream: &mut S, record: &[u8]) -> Result<(), LabError> {
    write_timed(stream, &record.repeat(FLOOD)).await
}

/// `alert-then-dribble`: a fatal alert, then a byte every [`DRIBBLE_AFTER_ALERT`].
pub async fn alert_then_dribble<S: AsyncWrite + Unpin>(stream: &mut S) -> Result<(), LabError> {
    write_timed(stream, &FATAL_INTERNAL_ERROR).await?;
    dribble(stream, std::iter::repeat(0u8), DRIBBLE_AFTER_ALERT).await
}

/// `alert-then-flood`: a fatal alert, then bytes as fast as the client takes them.
pub async fn alert_then_flood<S: AsyncWrite + Unpin>(stream: &mut S) -> Result<(), LabError> {
    write_timed(stream, &FATAL_INTERNAL_ERROR).await?;
    repeat(stream, &[0u8; 64 * 1024], Duration::ZERO).await
}

/// `late-plaintext`: after the 220 to STARTTLS, [`LATE`] later, an SMTP reply in plaintext.
pub async fn late_reply<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) -> Result<(), LabError> {
    tokio::time::sleep(LATE).await;
    write_timed(
        stream,
        b"250 2.0.0 LATE reply after the 220 to STARTTLS\r\n",
    )
    .await
}
