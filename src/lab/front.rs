//! A STARTTLS front for TLS servers that cannot speak SMTP themselves (`openssl s_server`
//! serving TLS 1.0, RSA key exchange, CBC suites, ...).
//!
//! The front plays a plain, healthy SMTP server up to STARTTLS. Then it connects to the
//! backend and, once that worked, answers `220` and splices the two TCP streams byte for
//! byte, so the client's TLS handshake happens with the backend. If the backend cannot be
//! reached, STARTTLS is answered `454` instead. Bytes pipelined after STARTTLS are dropped,
//! as the lab's own servers do.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::faults;
use super::smtp::{self, SmtpConn};
use super::{LabError, server};

const BACKEND_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A running STARTTLS front. Dropping it stops the listener and every spliced connection.
#[derive(Debug)]
pub struct FrontServer {
    /// Where clients connect (plain SMTP, then STARTTLS).
    pub addr: SocketAddr,
    /// The TLS server the front splices to after STARTTLS.
    pub backend: SocketAddr,
    accepted: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl FrontServer {
    /// How many connections the front has accepted so far (for tests and benchmarks that
    /// count what a client costs the server).
    pub fn connections(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }
}

impl Drop for FrontServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start a STARTTLS front on `bind` (use `127.0.0.1:0` for an ephemeral port) that hands
/// the TLS part to `backend`.
pub async fn start_front(backend: SocketAddr, bind: SocketAddr) -> Result<FrontServer, LabError> {
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|source| LabError::Bind { addr: bind, source })?;
    let addr = listener.local_addr()?;
    let accepted = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&accepted);
    let task = tokio::spawn(server::accept_loop(listener, move |stream| {
        counter.fetch_add(1, Ordering::Relaxed);
        async move {
            let _ = front_connection(stream, backend).await;
        }
    }));
    Ok(FrontServer {
        addr,
        backend,
        accepted,
        task,
    })
}

async fn front_connection(stream: TcpStream, backend: SocketAddr) -> Result<(), LabError> {
    let mut conn = SmtpConn::new(stream);
    conn.send(smtp::banner("front").as_bytes()).await?;
    loop {
        let Some(cmd) = conn.read_command().await? else {
            return Ok(());
        };
        match cmd.verb.as_str() {
            "EHLO" => conn.send(smtp::ehlo_reply(true).as_bytes()).await?,
            "HELO" => conn.send(smtp::helo_reply().as_bytes()).await?,
            "NOOP" | "RSET" => conn.send(smtp::OK).await?,
            "QUIT" => {
                conn.send(smtp::BYE).await?;
                faults::finish(conn.into_stream()).await;
                return Ok(());
            }
            "STARTTLS" => break,
            _ => conn.send(smtp::NOT_IMPLEMENTED).await?,
        }
    }
    let upstream = tokio::time::timeout(BACKEND_CONNECT_TIMEOUT, TcpStream::connect(backend)).await;
    let Ok(Ok(mut upstream)) = upstream else {
        conn.send(smtp::TLS_NOT_AVAILABLE).await?;
        faults::finish(conn.into_stream()).await;
        return Ok(());
    };
    let _ = upstream.set_nodelay(true);
    conn.send(smtp::READY_FOR_TLS).await?;
    let mut client = conn.into_stream();
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}
