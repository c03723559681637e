//! A pass-through stream between TCP and tokio-rustls that copies every byte into the wire
//! tracker and reports each complete TLS record, plus how the connection ended (FIN, RST).
//! Its poll functions are synchronous, which is why the event channel is unbounded.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::engine::Emitter;
use crate::engine::secrets::Secrets;
use crate::event::{ConnectionEnd, EventKind};
use crate::wire::tls13::Unprotected;
use crate::wire::{Dir, MessageInfo, RecordInfo, Tracker};

/// The server's current flight, as the tap sees it: when its turn began (our last write)
/// and what it sent since. The flight deadline counts from `started`, so a server that
/// dribbles bytes, empty records or warning alerts cannot push it back.
#[derive(Clone, Default)]
pub struct Flight {
    state: Arc<Mutex<FlightState>>,
}

/// A snapshot of [`Flight`].
#[derive(Debug, Clone)]
pub struct FlightState {
    /// When we last wrote: the server's turn began then.
    pub started: Instant,
    /// Bytes, complete records, empty records and warning alerts since `started`.
    pub bytes: u64,
    pub records: u32,
    pub empty_records: u32,
    pub warning_alerts: u32,
    /// Complete server records over the whole connection.
    pub server_records: u32,
    /// Server bytes over the whole connection.
    pub server_bytes: u64,
    /// The socket itself failed (reset, ...): an I/O error then is not rustls' own.
    pub socket_failed: bool,
}

impl Default for FlightState {
    fn default() -> Self {
        FlightState {
            started: Instant::now(),
            bytes: 0,
            records: 0,
            empty_records: 0,
            warning_alerts: 0,
            server_records: 0,
            server_bytes: 0,
            socket_failed: false,
        }
    }
}

impl Flight {
    pub fn new() -> Flight {
        Flight::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut FlightState) -> T) -> T {
        // A poisoned lock only means a panic elsewhere; the counts are still usable.
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    pub fn snapshot(&self) -> FlightState {
        self.with(|s| s.clone())
    }

    fn we_wrote(&self) {
        self.with(|s| {
            s.started = Instant::now();
            s.bytes = 0;
            s.records = 0;
            s.empty_records = 0;
            s.warning_alerts = 0;
        });
    }

    fn server_sent(&self, n: usize) {
        self.with(|s| {
            s.bytes += n as u64;
            s.server_bytes += n as u64;
        });
    }

    fn server_record(&self, record: &RecordInfo) {
        self.with(|s| {
            s.records += 1;
            s.server_records += 1;
            if record.length == 0 {
                s.empty_records += 1;
            }
            let warning = record
                .messages
                .iter()
                .any(|m| matches!(m, MessageInfo::Alert(a) if a.level == "warning"));
            if warning {
                s.warning_alerts += 1;
            }
        });
    }

    fn socket_failed(&self) {
        self.with(|s| s.socket_failed = true);
    }
}

pub use crate::wire::MAX_RECORDS;

pub struct Tap<S> {
    inner: S,
    records: usize,
    tracker: Tracker,
    emitter: Emitter,
    flight: Flight,
    ended: bool,
    /// Set in STARTTLS mode: the engine time (µs) the 220 to STARTTLS was read, so the
    /// server's first bytes can be checked for an SMTP reply sent out of turn.
    after_220: Option<u64>,
    /// The handshake's secrets as rustls logs them, and how many the tracker has.
    secrets: Option<(Secrets, usize)>,
}

impl<S> Tap<S> {
    pub fn new(inner: S, emitter: Emitter, flight: Flight) -> Tap<S> {
        flight.we_wrote();
        Tap {
            inner,
            records: 0,
            tracker: Tracker::new(),
            emitter,
            flight,
            ended: false,
            after_220: None,
            secrets: None,
        }
    }

    /// Decrypt the TLS 1.3 records with the secrets rustls logs into `secrets`.
    pub fn decrypt_with(&mut self, secrets: Secrets) {
        self.secrets = Some((secrets, 0));
    }

    /// Hands new secrets to the tracker and reports the records they opened. rustls logs a
    /// secret while it processes bytes the tap has already passed on, so this runs before
    /// and after each read or write: a server flight is opened by the time we answer it.
    fn decrypt(&mut self) {
        if let Some((secrets, seen)) = &mut self.secrets {
            for s in secrets.since(*seen) {
                *seen += 1;
                self.tracker.add_secret(&s.label, &s.secret);
            }
        }
        if self.records > MAX_RECORDS {
            return;
        }
        for found in self.tracker.take_decrypted() {
            let kind = match found {
                Unprotected::Record(d) => EventKind::TlsDecrypted {
                    dir: d.dir,
                    record: d.record,
                    content_type: d.content_type,
                    messages: d.messages,
                },
                Unprotected::Stopped { dir, record, why } => EventKind::Note {
                    text: format!(
                        "{} records from #{} on are not decrypted: {why}",
                        match dir {
                            Dir::Client => "our",
                            Dir::Server => "the server's",
                        },
                        record + 1
                    ),
                },
            };
            self.emitter.emit(kind);
        }
    }

    /// Watch the server's first bytes for an SMTP reply; `at_220_us` is when the 220 to
    /// STARTTLS was read (engine time).
    pub fn watch_for_smtp_reply(&mut self, at_220_us: u64) {
        self.after_220 = Some(at_220_us);
    }

    fn first_server_bytes(&mut self, bytes: &[u8]) {
        let Some(at_220) = self.after_220.take() else {
            return;
        };
        if crate::wire::record::looks_like_smtp_reply(bytes) {
            let line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
            self.emitter.emit(EventKind::SmtpReplyInTls {
                preview: crate::sanitize::cap(&crate::sanitize::escape_bytes(line), 200),
                after_220_us: self.emitter.now_us().saturating_sub(at_220),
            });
        }
    }

    fn observe(&mut self, dir: Dir, bytes: &[u8]) {
        if dir == Dir::Server {
            if self.flight.snapshot().server_bytes == 0 {
                self.first_server_bytes(bytes);
            }
            self.flight.server_sent(bytes.len());
        } else if !bytes.is_empty() {
            self.flight.we_wrote();
        }
        if self.records > MAX_RECORDS {
            return;
        }
        self.decrypt();
        for record in self.tracker.feed(dir, bytes) {
            if dir == Dir::Server {
                self.flight.server_record(&record);
            }
            self.records += 1;
            if self.records > MAX_RECORDS {
                self.emitter.emit(EventKind::Note {
                    text: format!("more than {MAX_RECORDS} TLS records: the timeline stops here"),
                });
                return;
            }
            self.emitter.emit(EventKind::TlsRecord { dir, record });
        }
        self.decrypt();
    }

    fn end(&mut self, how: ConnectionEnd) {
        self.decrypt();
        if !self.ended {
            self.ended = true;
            self.emitter.emit(EventKind::ConnectionEnded { how });
        }
    }

    /// Record that we are closing the connection ourselves.
    pub fn closed_by_us(&mut self) {
        self.end(ConnectionEnd::ClosedByUs);
    }

    pub fn has_ended(&self) -> bool {
        self.ended
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let got = buf.filled()[before..].to_vec();
                if got.is_empty() {
                    this.end(ConnectionEnd::Fin);
                } else {
                    this.observe(Dir::Server, &got);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => {
                this.flight.socket_failed();
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                ) {
                    this.end(ConnectionEnd::Rst);
                }
                Poll::Ready(Err(e))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S> Tap<S> {
    /// Report what a write sent (the first `n` bytes of `bufs`), or a reset it ran into.
    fn wrote(
        &mut self,
        result: Poll<io::Result<usize>>,
        bufs: &[&[u8]],
    ) -> Poll<io::Result<usize>> {
        match &result {
            Poll::Ready(Ok(n)) => {
                let mut left = *n;
                for buf in bufs {
                    if left == 0 {
                        break;
                    }
                    let take = left.min(buf.len());
                    self.observe(Dir::Client, &buf[..take]);
                    left -= take;
                }
            }
            Poll::Ready(Err(e)) => {
                self.flight.socket_failed();
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset
                        | io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::BrokenPipe
                ) {
                    self.end(ConnectionEnd::Rst)
                }
            }
            _ => {}
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.wrote(result, &[buf])
    }

    /// rustls hands over several records at once; writing them in one go matters when the
    /// handshake fails, because tokio-rustls makes a single write attempt for its alert.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        let slices: Vec<&[u8]> = bufs.iter().map(|b| &**b).collect();
        self.wrote(result, &slices)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_vectored_write_reports_every_record_it_carries() {
        let (ours, mut theirs) = tokio::io::duplex(1 << 16);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut tap = Tap::new(ours, Emitter::new(1, tx), Flight::new());
        let ccs = [0x14u8, 0x03, 0x03, 0x00, 0x01, 0x01];
        let alert = [0x15u8, 0x03, 0x03, 0x00, 0x02, 0x02, 0x2a];
        let bufs = [io::IoSlice::new(&ccs), io::IoSlice::new(&alert)];
        let mut sent = 0;
        while sent < ccs.len() + alert.len() {
            let n = tap.write_vectored(&bufs).await.unwrap();
            assert_eq!(n, ccs.len() + alert.len(), "the duplex takes both at once");
            sent += n;
        }
        let mut got = vec![0u8; sent];
        theirs.read_exact(&mut got).await.unwrap();
        let kinds: Vec<String> = std::iter::from_fn(|| rx.try_recv().ok())
            .filter_map(|ev| match ev.kind {
                EventKind::TlsRecord { record, .. } => Some(record.content_type),
                _ => None,
            })
            .collect();
        assert_eq!(kinds, vec!["change_cipher_spec", "alert"]);
    }

    #[tokio::test]
    async fn records_are_reported_and_a_flood_is_cut() {
        let (ours, mut theirs) = tokio::io::duplex(1 << 20);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut tap = Tap::new(ours, Emitter::new(1, tx), Flight::new());
        // A flood of tiny change_cipher_spec records, then FIN.
        let flood = [0x14u8, 0x03, 0x03, 0x00, 0x01, 0x01].repeat(MAX_RECORDS + 500);
        theirs.write_all(&flood).await.unwrap();
        drop(theirs);
        let mut sink = Vec::new();
        tap.read_to_end(&mut sink).await.unwrap();
        assert_eq!(sink.len(), flood.len(), "bytes pass through untouched");
        let mut records = 0;
        let mut notes = 0;
        let mut fin = false;
        while let Ok(ev) = rx.try_recv() {
            match ev.kind {
                EventKind::TlsRecord { .. } => records += 1,
                EventKind::Note { .. } => notes += 1,
                EventKind::ConnectionEnded { how } => fin = how == ConnectionEnd::Fin,
                _ => {}
            }
        }
        assert_eq!((records, notes), (MAX_RECORDS, 1));
        assert!(fin);
    }
}
