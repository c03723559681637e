//! A pass-through stream right on the TCP socket that reports every byte read or written
//! (`TcpData`), SMTP and TLS alike, so a pcapng of the connection can be rebuilt from the
//! events alone. Bounded: after `MAX_TCP_BYTES` it says so once and reports no more. After
//! each read it sends our ACK at once (`AckNow`), so the server never waits for it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::engine::Emitter;
use crate::event::{EventKind, MAX_TCP_BYTES};
use crate::net::AckNow;
use crate::wire::Dir;

pub struct Wire<S> {
    inner: S,
    emitter: Emitter,
    reported: usize,
}

impl<S> Wire<S> {
    pub fn new(inner: S, emitter: Emitter) -> Wire<S> {
        Wire {
            inner,
            emitter,
            reported: 0,
        }
    }

    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    fn report(&mut self, dir: Dir, bytes: &[u8]) {
        if bytes.is_empty() || self.reported >= MAX_TCP_BYTES {
            return;
        }
        let take = bytes.len().min(MAX_TCP_BYTES - self.reported);
        self.reported += take;
        self.emitter.emit(EventKind::TcpData {
            dir,
            bytes: bytes[..take].to_vec(),
        });
        if self.reported == MAX_TCP_BYTES {
            self.emitter.emit(EventKind::Note {
                text: format!(
                    "more than {} KiB crossed the connection: the raw bytes kept for a pcapng stop here",
                    MAX_TCP_BYTES / 1024
                ),
            });
        }
    }
}

impl<S: AsyncRead + AckNow + Unpin> AsyncRead for Wire<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &result {
            if buf.filled().len() > before {
                this.inner.ack_now();
            }
            this.report(Dir::Server, &buf.filled()[before..]);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Wire<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &result {
            this.report(Dir::Client, &buf[..*n]);
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = &result {
            // One event for the whole write, as one segment left.
            let mut sent = Vec::with_capacity(*n);
            for b in bufs {
                let left = n - sent.len();
                sent.extend_from_slice(&b[..left.min(b.len())]);
            }
            this.report(Dir::Client, &sent);
        }
        result
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
    async fn every_byte_is_reported_up_to_the_cap() {
        let (ours, mut theirs) = tokio::io::duplex(1 << 20);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut wire = Wire::new(ours, Emitter::new(1, tx));
        wire.write_all(b"EHLO x\r\n").await.unwrap();
        let flood = vec![b'x'; MAX_TCP_BYTES + 1000];
        theirs.write_all(&flood).await.unwrap();
        drop(theirs);
        let mut sink = Vec::new();
        wire.read_to_end(&mut sink).await.unwrap();
        assert_eq!(sink.len(), flood.len(), "bytes pass through untouched");
        let (mut sent, mut got, mut notes) = (Vec::new(), 0, 0);
        while let Ok(ev) = rx.try_recv() {
            match ev.kind {
                EventKind::TcpData {
                    dir: Dir::Client,
                    bytes,
                } => sent.extend(bytes),
                EventKind::TcpData { bytes, .. } => got += bytes.len(),
                EventKind::Note { .. } => notes += 1,
                _ => {}
            }
        }
        assert_eq!(sent, b"EHLO x\r\n");
        assert_eq!(got + sent.len(), MAX_TCP_BYTES);
        assert_eq!(notes, 1);
    }

    /// After each read the socket is out of delayed-ACK ("pingpong") mode, so the ACK for
    /// what we read leaves at once: the server's next segment never waits on our delayed ACK
    /// behind its Nagle (see `net::connect::AckNow`). The peer is a plain loopback socket.
    /// The test forces the mode the kernel enters on its own in a dialogue (TCP_QUICKACK 0),
    /// then reads; without the re-arm the socket stays in it (unless the 40 ms delayed-ACK
    /// timer fires first and leaves it, which would make this pass without the fix, never
    /// fail with it).
    #[tokio::test]
    async fn every_read_leaves_delayed_ack_mode() {
        use socket2::SockRef;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, server) = tokio::join!(tokio::net::TcpStream::connect(addr), async {
            listener.accept().await.unwrap().0
        });
        let client = client.unwrap();
        let mut server = server;
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let mut wire = Wire::new(client, Emitter::new(1, tx));
        let mut buf = [0u8; 64];
        for round in 0..3 {
            SockRef::from(wire.get_ref())
                .set_tcp_quickack(false)
                .unwrap();
            assert!(!SockRef::from(wire.get_ref()).tcp_quickack().unwrap());
            server.write_all(b"250 ok\r\n").await.unwrap();
            let n = wire.read(&mut buf).await.unwrap();
            assert!(n > 0);
            assert!(
                SockRef::from(wire.get_ref()).tcp_quickack().unwrap(),
                "round {round}: still in delayed-ACK mode after a read"
            );
            wire.write_all(b"NOOP\r\n").await.unwrap();
            let mut got = [0u8; 6];
            server.read_exact(&mut got).await.unwrap();
        }
    }
}
