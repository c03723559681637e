//! Opening the TCP connection to a mail server, the one way the probe engine and the scanner
//! both do it: optional source address, connect timeout, Nagle off, failures in the words the
//! diagnosis knows; and `AckNow`, so our delayed ACKs never pass for server latency.

use std::io;
use std::net::SocketAddr;

use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

use crate::event::Failure;
use crate::plan::Plan;

/// One TCP connection as the plan wants it: from `--source` if given, within the connect
/// timeout, failures in words diagnosis knows. The scanner connects the same way.
///
/// Nagle is off (TCP_NODELAY): our Finished and the EHLO after it are two small writes, and
/// with Nagle the second waits for the server's delayed ACK (~40 ms) — time a timeline would
/// show as the server's latency. Timings must be the server's, not ours. Our own ACKs are
/// the other half: see [`AckNow`].
pub async fn connect(plan: &Plan, addr: SocketAddr) -> Result<TcpStream, Failure> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(io_failure)?;
    socket.set_nodelay(true).map_err(io_failure)?;
    if let Some(src) = plan.source {
        socket
            .bind(SocketAddr::new(src, 0))
            .map_err(|e| Failure::Config {
                detail: format!("cannot bind --source {src}: {e}"),
            })?;
    }
    match timeout(plan.timeouts.connect, socket.connect(addr)).await {
        Err(_) => Err(Failure::ConnectTimeout),
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(match e.kind() {
            io::ErrorKind::ConnectionRefused => Failure::ConnectRefused,
            io::ErrorKind::TimedOut => Failure::ConnectTimeout,
            _ => Failure::Unreachable {
                detail: e.to_string(),
            },
        }),
    }
}

/// A stream whose pending ACK can be sent at once, after a read.
///
/// Why: Postfix (Nagle on) writes its TLS 1.3 NewSessionTicket and then, once it has read
/// our EHLO, its 250 reply: a small segment that Nagle holds until the ticket is ACKed. We
/// have nothing left to send by then, so the kernel delays that ACK (Linux: 40 ms at least)
/// whenever it takes the connection for an interactive one ("pingpong" mode, entered each
/// time we write soon after a read) — and the timeline showed our delayed ACK as 40 ms of
/// server latency. Setting TCP_QUICKACK leaves that mode and sends a scheduled ACK now;
/// the kernel re-enters the mode on its own, so it is re-armed after every read.
pub trait AckNow {
    fn ack_now(&self);
}

impl AckNow for TcpStream {
    fn ack_now(&self) {
        // Best effort: a socket that refuses the option still works, only slower.
        #[cfg(target_os = "linux")]
        let _ = socket2::SockRef::from(self).set_tcp_quickack(true);
    }
}

/// In-memory streams (unit tests) have no ACKs.
impl AckNow for tokio::io::DuplexStream {
    fn ack_now(&self) {}
}

fn io_failure(e: io::Error) -> Failure {
    Failure::Io {
        detail: e.to_string(),
    }
}
