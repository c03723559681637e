//! The lab: in-process SMTP servers on loopback, each with one known fault.
//!
//! Every server speaks real SMTP and, where the scenario gets that far, real TLS (rustls on
//! the server side, certificates made at start by [`Pki::generate`]). `tlsdive lab` lists
//! and serves them, `tlsdive demo` probes them, and the integration tests run against them,
//! so every diagnosis can be watched without a mail server or a network.
//!
//! ```text
//!  start(scenario, pki, 127.0.0.1:0) ─► LabServer { addr } ─► accept loop ─► one task per connection
//!                                                                           banner → EHLO → STARTTLS
//!                                                                           → fault, or TLS → EHLO → QUIT
//! ```
//!
//! Files: `scenario` (the table of faults and expected causes), `pki` (certificates),
//! `tls` (rustls server configs), `smtp` (bounded line reader, reply texts), `server`
//! (accept loop and per-connection script), `faults` (raw-socket misbehaviour), `front`
//! (a STARTTLS front for TLS-only backends such as `openssl s_server`), `dns` and
//! `signed_dns` (a DNS server, unsigned or with a signed private root), `sts_server`
//! (MTA-STS policies over HTTPS), `policy_lab` (the routing-policy scenarios on top).

mod ccert;
pub mod dns;
mod faults;
mod fragment;
mod front;
mod hostile;
mod pki;
pub mod policy_lab;
mod scenario;
mod server;
pub mod signed_dns;
mod smtp;
pub mod sts_server;
mod tls;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use front::{FrontServer, start_front};
pub use pki::{LeafKey, Pki, SERVER_NAME};
pub use scenario::{Scenario, UnknownScenario};
pub use smtp::MAX_LINE;

/// The `drops-large-hello` path drops a first TLS record larger than this (bytes, header
/// included): about what fits in one segment on a path with a 1,280-byte MTU (IPv6's
/// minimum) after IP and TCP headers.
pub const LARGE_HELLO: usize = 1200;

/// What can go wrong starting (or, internally, running a connection of) a lab server.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A socket operation failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// rcgen could not make a certificate.
    #[error("certificate generation failed: {0}")]
    Cert(#[from] rcgen::Error),
    /// rustls rejected the server configuration.
    #[error("TLS configuration failed: {0}")]
    Tls(#[from] rustls::Error),
    /// The client-certificate verifier could not be built.
    #[error("client certificate verifier failed: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    /// `serve_all` was given a base port too high for every scenario to get one.
    #[error("base port {0} leaves no room for {1} scenarios")]
    PortRange(u16, usize),
    /// The lab's DNS zones could not be signed.
    #[error("DNSSEC signing of the lab zones failed: {0}")]
    Dnssec(String),
    /// A client sent a command line longer than [`MAX_LINE`].
    #[error("command line longer than {MAX_LINE} bytes")]
    LineTooLong,
    /// A client closed in the middle of a command line.
    #[error("connection closed in the middle of a command line")]
    UnexpectedEof,
    /// A client sent a TLS record header announcing an oversized record.
    #[error("TLS record of {0} bytes announced, more than allowed")]
    RecordTooLarge(usize),
    /// A client or network step took too long.
    #[error("timed out: {0}")]
    Timeout(&'static str),
    /// Internal: a TLS step was reached in a scenario without a TLS configuration.
    #[error("scenario {0} has no TLS configuration")]
    NoTls(Scenario),
}

/// A running lab server. Dropping it stops the listener and every open connection.
pub struct LabServer {
    /// The fault this server plays.
    pub scenario: Scenario,
    /// Where it listens.
    pub addr: SocketAddr,
    task: JoinHandle<()>,
    ctx: Arc<server::Ctx>,
}

impl std::fmt::Debug for LabServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabServer")
            .field("scenario", &self.scenario)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl LabServer {
    /// How many connections it has accepted so far (tests count what a client sent).
    pub fn connections(&self) -> usize {
        self.ctx.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for LabServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start one lab server for `scenario` on `bind` (`127.0.0.1:0` for an ephemeral port).
/// It accepts any number of connections until dropped. Must be called inside a tokio runtime.
pub async fn start(
    scenario: Scenario,
    pki: &Arc<Pki>,
    bind: SocketAddr,
) -> Result<LabServer, LabError> {
    let acceptor = tls::acceptor(scenario, pki)?;
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|source| LabError::Bind { addr: bind, source })?;
    let addr = listener.local_addr()?;
    let ctx = Arc::new(server::Ctx {
        scenario,
        acceptor,
        alternate: tls::alternate(scenario, pki)?,
        client_check: tls::client_check(scenario, pki)?,
        active: std::sync::atomic::AtomicUsize::new(0),
        accepted: std::sync::atomic::AtomicUsize::new(0),
    });
    let shared = Arc::clone(&ctx);
    let task = tokio::spawn(server::accept_loop(listener, move |stream| {
        let ctx = Arc::clone(&ctx);
        async move {
            let _ = server::handle(stream, &ctx).await;
        }
    }));
    Ok(LabServer {
        scenario,
        addr,
        task,
        ctx: shared,
    })
}

/// Start every scenario on 127.0.0.1, in [`Scenario::ALL`] order: on `base_port`,
/// `base_port + 1`, ... if given, else on ephemeral ports.
pub async fn serve_all(pki: &Arc<Pki>, base_port: Option<u16>) -> Result<Vec<LabServer>, LabError> {
    let mut servers = Vec::with_capacity(Scenario::ALL.len());
    for (index, &scenario) in Scenario::ALL.iter().enumerate() {
        let port = match base_port {
            None => 0,
            Some(base) => u16::try_from(index)
                .ok()
                .and_then(|i| base.checked_add(i))
                .ok_or(LabError::PortRange(base, Scenario::ALL.len()))?,
        };
        let bind = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        servers.push(start(scenario, pki, bind).await?);
    }
    Ok(servers)
}

/// The plan a newcomer would use against a lab server: its address, STARTTLS or implicit TLS
/// as the scenario needs, the lab CA (`ca_pem`) as the only trust anchor, short reply timeouts.
pub fn plan_for(scenario: Scenario, addr: SocketAddr, ca_pem: &str) -> crate::plan::Plan {
    let mut plan = crate::plan::Plan::new(crate::plan::Target::Ip(addr.ip()));
    plan.port = addr.port();
    plan.mode = if scenario.implicit_tls() {
        crate::plan::TlsMode::Implicit
    } else {
        crate::plan::TlsMode::Starttls
    };
    plan.tls.trust = crate::plan::Trust::from_pem("the lab CA", ca_pem);
    plan.timeouts.reply = std::time::Duration::from_secs(3);
    plan
}
