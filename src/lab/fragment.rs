//! A stream that splits the server's plaintext handshake records into records of one byte
//! of payload each (`one-byte-fragments`). RFC 8446 §5.1 allows fragmenting handshake
//! messages across records; a real client must still bound what it buffers, and rustls
//! gives up ("message buffer full") where a whole flight costs it six bytes per byte.
//!
//! Only records before the server's ChangeCipherSpec are split: after it they are
//! encrypted and must stay whole. Reads pass through untouched.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

const HANDSHAKE: u8 = 22;
const CHANGE_CIPHER_SPEC: u8 = 20;

pub struct OneByteRecords<S> {
    inner: S,
    /// Bytes written to us that do not yet form a whole record.
    partial: Vec<u8>,
    /// Re-framed bytes not yet written to `inner`.
    out: Vec<u8>,
    /// Set after the server's ChangeCipherSpec: records pass through whole from then on.
    encrypted: bool,
}

impl<S> OneByteRecords<S> {
    pub fn new(inner: S) -> Self {
        OneByteRecords {
            inner,
            partial: Vec::new(),
            out: Vec::new(),
            encrypted: false,
        }
    }

    /// Move every whole record from `partial` to `out`, split where it may be.
    fn reframe(&mut self) {
        while self.partial.len() >= 5 {
            let len = usize::from(u16::from_be_bytes([self.partial[3], self.partial[4]]));
            if self.partial.len() < 5 + len {
                return;
            }
            let record: Vec<u8> = self.partial.drain(..5 + len).collect();
            let (header, body) = record.split_at(5);
            if header[0] == HANDSHAKE && !self.encrypted {
                for b in body {
                    self.out
                        .extend_from_slice(&[header[0], header[1], header[2], 0, 1, *b]);
                }
            } else {
                self.encrypted |= header[0] == CHANGE_CIPHER_SPEC;
                self.out.extend_from_slice(&record);
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> OneByteRecords<S> {
    /// Write out what is pending; Ready once `out` is empty.
    fn poll_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.out.is_empty() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.out) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.out.drain(..n);
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for OneByteRecords<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for OneByteRecords<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.poll_out(cx)?.is_pending() {
            return Poll::Pending;
        }
        this.partial.extend_from_slice(buf);
        this.reframe();
        // Best effort now; whatever is left goes out on the next write or flush.
        let _ = this.poll_out(cx)?;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.poll_out(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.poll_out(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}
