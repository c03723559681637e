//! The one stream between TCP and tokio-rustls. Every byte passes through it once: it always
//! records the raw bytes (`TcpData`, for the pcapng), from STARTTLS on its watcher feeds the
//! TLS record parser and decryption, and it is the one place that tells how the connection
//! ended ([`Ending`]). After each read it sends our ACK at once (`AckNow`).

pub mod watcher;

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::engine::Emitter;
use crate::engine::secrets::Secrets;
use crate::event::{ConnectionEnd, EventKind, MAX_TCP_BYTES};
use crate::net::AckNow;
use crate::wire::Dir;

pub use crate::wire::MAX_RECORDS;
use watcher::Watcher;
pub use watcher::{Flight, FlightState};

/// How a read (or a peek) that returned `got` ended the connection, if it did: no bytes is
/// the server's FIN, a reset its RST.
pub fn read_end(got: Result<usize, &io::Error>) -> Option<ConnectionEnd> {
    match got {
        Ok(0) => Some(ConnectionEnd::Fin),
        Ok(_) => None,
        Err(e) => matches!(
            e.kind(),
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
        )
        .then_some(ConnectionEnd::Rst),
    }
}

/// How a failed write ended the connection, if it did: a write into a reset (or already
/// closed and reset) connection.
pub fn write_end(e: &io::Error) -> Option<ConnectionEnd> {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
    .then_some(ConnectionEnd::Rst)
}

/// How the attempt's connection ended (FIN, RST, our deadline, our close), reported once:
/// the tap, the step-mode watch and the deadlines all report through it, and the first to
/// see the end is the one that counts.
#[derive(Clone, Debug)]
pub struct Ending {
    emitter: Emitter,
    reported: Arc<AtomicBool>,
}

impl Ending {
    pub fn new(emitter: Emitter) -> Ending {
        Ending {
            emitter,
            reported: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Report `how`, unless an end was reported already.
    pub fn report(&self, how: ConnectionEnd) {
        if !self.reported.swap(true, Ordering::Relaxed) {
            self.emitter.emit(EventKind::ConnectionEnded { how });
        }
    }

    pub fn has_ended(&self) -> bool {
        self.reported.load(Ordering::Relaxed)
    }

    /// What a read or a peek returned: reported when it was a FIN or an RST.
    pub fn after_read(&self, got: Result<usize, &io::Error>) {
        if let Some(how) = read_end(got) {
            self.report(how);
        }
    }
}

pub struct Tap<S = TcpStream> {
    inner: S,
    emitter: Emitter,
    ending: Ending,
    /// Raw bytes reported so far (`TcpData`), up to [`MAX_TCP_BYTES`].
    recorded: usize,
    /// The TLS side, from STARTTLS on.
    watcher: Option<Watcher>,
}

impl<S> Tap<S> {
    pub fn new(inner: S, ending: Ending) -> Tap<S> {
        Tap {
            inner,
            emitter: ending.emitter.clone(),
            ending,
            recorded: 0,
            watcher: None,
        }
    }

    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    pub fn ending(&self) -> &Ending {
        &self.ending
    }

    /// Switch the TLS watcher on: from now on the records are parsed and reported, decrypted
    /// with the secrets rustls logs into `secrets`, and the server's flight is counted into
    /// `flight`. `after_220` (STARTTLS mode): when the 220 to STARTTLS was read (engine
    /// time, µs), so an SMTP reply in the server's first bytes is caught.
    pub fn watch_tls(&mut self, flight: Flight, secrets: Secrets, after_220: Option<u64>) {
        self.watcher = Some(Watcher::new(flight, secrets, after_220));
    }

    /// Record the bytes one read or write moved, as the slices it moved: one `TcpData` event
    /// (one segment on the wire), bounded by [`MAX_TCP_BYTES`], which says so once.
    fn record(&mut self, dir: Dir, parts: &[&[u8]]) {
        let n: usize = parts.iter().map(|p| p.len()).sum();
        if n == 0 || self.recorded >= MAX_TCP_BYTES {
            return;
        }
        let mut take = n.min(MAX_TCP_BYTES - self.recorded);
        self.recorded += take;
        let mut bytes = Vec::with_capacity(take);
        for p in parts {
            let t = take.min(p.len());
            bytes.extend_from_slice(&p[..t]);
            take -= t;
        }
        self.emitter.emit(EventKind::TcpData { dir, bytes });
        if self.recorded == MAX_TCP_BYTES {
            self.emitter.emit(EventKind::Note {
                text: format!(
                    "more than {} KiB crossed the connection: the raw bytes kept for a pcapng stop here",
                    MAX_TCP_BYTES / 1024
                ),
            });
        }
    }

    /// One read or write moved `parts`: recorded, then watched.
    fn moved(&mut self, dir: Dir, parts: &[&[u8]]) {
        self.record(dir, parts);
        if let Some(w) = &mut self.watcher {
            w.observe(dir, parts, &self.emitter);
        }
    }

    fn socket_failed(&self) {
        if let Some(w) = &self.watcher {
            w.flight().socket_failed();
        }
    }

    fn end(&mut self, how: ConnectionEnd) {
        if let Some(w) = &mut self.watcher {
            w.decrypt(&self.emitter);
        }
        self.ending.report(how);
    }

    /// Record that we are closing the connection ourselves.
    pub fn closed_by_us(&mut self) {
        self.end(ConnectionEnd::ClosedByUs);
    }

    pub fn has_ended(&self) -> bool {
        self.ending.has_ended()
    }

    /// Report what a write sent (the first `n` bytes of `bufs`), or the reset it ran into.
    fn wrote(
        &mut self,
        result: Poll<io::Result<usize>>,
        bufs: &[&[u8]],
    ) -> Poll<io::Result<usize>> {
        match &result {
            Poll::Ready(Ok(n)) => {
                let mut left = *n;
                let mut sent: Vec<&[u8]> = Vec::with_capacity(bufs.len());
                for buf in bufs {
                    if left == 0 {
                        break;
                    }
                    let take = left.min(buf.len());
                    if take > 0 {
                        sent.push(&buf[..take]);
                    }
                    left -= take;
                }
                self.moved(Dir::Client, &sent);
            }
            Poll::Ready(Err(e)) => {
                self.socket_failed();
                if let Some(how) = write_end(e) {
                    self.end(how);
                }
            }
            Poll::Pending => {}
        }
        result
    }
}

impl<S: AsyncRead + AckNow + Unpin> AsyncRead for Tap<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        match &result {
            Poll::Ready(Ok(())) => {
                let got = &buf.filled()[before..];
                if got.is_empty() {
                    this.end(ConnectionEnd::Fin);
                } else {
                    this.inner.ack_now();
                    this.moved(Dir::Server, &[got]);
                }
            }
            Poll::Ready(Err(e)) => {
                this.socket_failed();
                if let Some(how) = read_end(Err(e)) {
                    this.end(how);
                }
            }
            Poll::Pending => {}
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
mod tests;
