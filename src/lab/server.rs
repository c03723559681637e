//! One lab server: the accept loop, and the per-connection script that plays the
//! scenario's fault at the right moment of the SMTP dialogue.
//!
//! Every connection runs in its own task inside a `JoinSet` owned by the accept task, so
//! aborting the accept task (dropping the `LabServer`) also ends every open connection.
//! A connection's errors end that connection only; nothing is printed.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rustls::server::danger::ClientCertVerifier;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::ccert;
use super::fragment::OneByteRecords;
use super::smtp::{self, SmtpConn};
use super::{LabError, Scenario};
use super::{faults, hostile};

/// How long the server waits for a TLS handshake to complete.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// Accept connections forever, running `handler` for each in a task of a `JoinSet`.
pub(crate) async fn accept_loop<F, Fut>(listener: TcpListener, handler: F)
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    tasks.spawn(handler(stream));
                }
                // Typically EMFILE: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
}

/// What a scenario's connection script needs, shared by all its connections.
pub(crate) struct Ctx {
    pub scenario: Scenario,
    pub acceptor: Option<TlsAcceptor>,
    /// The other backend's acceptor, for scenarios whose connections alternate servers.
    pub alternate: Option<TlsAcceptor>,
    /// Judges the client's certificate after the handshake (Postfix's `smtpd_tls_req_ccert`).
    pub client_check: Option<Arc<dyn ClientCertVerifier>>,
    /// Connections being served now (the rate-limited scenario refuses a second one).
    pub active: std::sync::atomic::AtomicUsize,
    /// Connections accepted so far (refuse-every-second answers the even ones 421).
    pub accepted: std::sync::atomic::AtomicUsize,
}

/// Counts a connection as active until dropped.
struct Active<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Ctx {
    /// Whether a STARTTLS command leads anywhere (a handshake or a handshake-time fault).
    fn starttls_proceeds(&self) -> bool {
        use Scenario as S;
        self.acceptor.is_some()
            || matches!(
                self.scenario,
                S::CloseAfterStarttls
                    | S::CloseAfterClientHello
                    | S::ResetAfterClientHello
                    | S::FatalAlert
                    | S::RefusesEveryVersion
                    | S::HandshakeStall
                    | S::DribbledRecord
                    | S::EmptyRecords
                    | S::WarningAlerts
                    | S::AlertThenDribble
                    | S::AlertThenFlood
                    | S::AlertFlood
                    | S::EmptyRecordFlood
                    | S::LatePlaintext
            )
    }
}

/// Where the command loop stopped.
enum Next {
    /// QUIT, or the client left: close.
    Close,
    /// The client sent STARTTLS and the scenario lets it proceed; nothing answered yet.
    Starttls,
}

/// Run one connection of `ctx.scenario` to its end.
pub(crate) async fn handle(stream: TcpStream, ctx: &Ctx) -> Result<(), LabError> {
    use Scenario as S;
    let mut stream = stream;
    let already = ctx.active.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let _active = Active(&ctx.active);
    let nth = ctx
        .accepted
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let refuse = match ctx.scenario {
        S::RateLimited => already > 0,
        S::RefuseEverySecond => nth % 2 == 1,
        _ => false,
    };
    if refuse {
        smtp::write_timed(&mut stream, smtp::BANNER_421_BUSY).await?;
        faults::finish(stream).await;
        return Ok(());
    }
    // every-third-expired: this connection is served by the bad backend, as if the load
    // balancer had picked it; the counters are only read above.
    let bad_backend;
    let ctx = match (&ctx.alternate, ctx.scenario) {
        (Some(alt), S::EveryThirdExpired) if nth % 3 == 2 => {
            bad_backend = Ctx {
                scenario: ctx.scenario,
                acceptor: Some(alt.clone()),
                alternate: None,
                client_check: None,
                active: std::sync::atomic::AtomicUsize::new(0),
                accepted: std::sync::atomic::AtomicUsize::new(0),
            };
            &bad_backend
        }
        _ => ctx,
    };
    match ctx.scenario {
        S::ImplicitTls => return serve_tls(stream, ctx, true).await,
        S::DribbledBanner => return hostile::dribbled_banner(&mut stream).await,
        S::SlowBanner => {
            faults::hold_silently(&mut stream).await;
            return Ok(());
        }
        S::Banner421 | S::Banner554 | S::NotSmtp => {
            let greeting = match ctx.scenario {
                S::NotSmtp => faults::NOT_SMTP_GREETING,
                S::Banner554 => smtp::BANNER_554,
                _ => smtp::BANNER_421,
            };
            smtp::write_timed(&mut stream, greeting).await?;
            faults::finish(stream).await;
            return Ok(());
        }
        _ => {}
    }
    let mut conn = SmtpConn::new(stream);
    slow(ctx).await;
    let greeting = if ctx.scenario == S::HostileBytes {
        faults::hostile_banner(ctx.scenario.name())
    } else {
        smtp::banner(ctx.scenario.name()).into_bytes()
    };
    conn.send(&greeting).await?;
    match dialogue(&mut conn, ctx, false).await? {
        Next::Close => {
            faults::finish(conn.into_stream()).await;
            Ok(())
        }
        Next::Starttls => after_starttls(conn.into_stream(), ctx).await,
    }
}

/// The scripted part between the client's STARTTLS and the TLS handshake.
async fn after_starttls(mut stream: TcpStream, ctx: &Ctx) -> Result<(), LabError> {
    use Scenario as S;
    if ctx.scenario == S::PlaintextInjection {
        // One write, so both lines arrive in the same segment as an injected command's
        // reply would (CVE-2011-0411 shape).
        smtp::write_timed(
            &mut stream,
            b"220 2.0.0 Ready to start TLS\r\n250-INJECTED\r\n",
        )
        .await?;
        return serve_tls(stream, ctx, false).await;
    }
    slow(ctx).await;
    smtp::write_timed(&mut stream, smtp::READY_FOR_TLS).await?;
    match ctx.scenario {
        S::LatePlaintext => {
            hostile::late_reply(&mut stream).await?;
            faults::finish(stream).await;
        }
        S::DribbledRecord
        | S::EmptyRecords
        | S::WarningAlerts
        | S::AlertThenDribble
        | S::AlertThenFlood
        | S::AlertFlood
        | S::EmptyRecordFlood => {
            faults::read_record(&mut stream).await?;
            match ctx.scenario {
                S::AlertFlood => {
                    hostile::flood(&mut stream, &hostile::WARNING_ALERT).await?;
                    faults::finish(stream).await;
                }
                S::EmptyRecordFlood => {
                    hostile::flood(&mut stream, &hostile::EMPTY_RECORD).await?;
                    faults::finish(stream).await;
                }
                S::DribbledRecord => hostile::dribbled_record(&mut stream).await?,
                S::EmptyRecords => hostile::empty_records(&mut stream).await?,
                S::WarningAlerts => hostile::warning_alerts(&mut stream).await?,
                S::AlertThenDribble => hostile::alert_then_dribble(&mut stream).await?,
                _ => hostile::alert_then_flood(&mut stream).await?,
            }
        }
        S::OneByteFragments => return serve_tls(OneByteRecords::new(stream), ctx, false).await,
        S::CloseAfterStarttls => faults::finish(stream).await,
        S::CloseAfterClientHello => {
            faults::read_record(&mut stream).await?;
            faults::finish(stream).await;
        }
        S::ResetAfterClientHello => {
            faults::read_record(&mut stream).await?;
            faults::reset(stream)?;
        }
        S::FatalAlert => {
            faults::read_record(&mut stream).await?;
            smtp::write_timed(&mut stream, &faults::FATAL_INTERNAL_ERROR).await?;
            faults::finish(stream).await;
        }
        S::RefusesEveryVersion => {
            faults::read_record(&mut stream).await?;
            smtp::write_timed(&mut stream, &faults::FATAL_PROTOCOL_VERSION).await?;
            faults::finish(stream).await;
        }
        S::HandshakeStall => {
            faults::read_record(&mut stream).await?;
            faults::hold_silently(&mut stream).await;
        }
        S::DropsLargeHello if faults::first_record_len(&stream).await? > super::LARGE_HELLO => {
            faults::hold_silently(&mut stream).await;
        }
        _ => return serve_tls(stream, ctx, false).await,
    }
    Ok(())
}

/// `slow-replies` answers nothing before [`hostile::SLOW_REPLY`] has passed.
async fn slow(ctx: &Ctx) {
    if ctx.scenario == Scenario::SlowReplies {
        tokio::time::sleep(hostile::SLOW_REPLY).await;
    }
}

/// TLS handshake, then the SMTP dialogue over TLS (with a banner first if `implicit`).
async fn serve_tls<IO: AsyncRead + AsyncWrite + Unpin>(
    stream: IO,
    ctx: &Ctx,
    implicit: bool,
) -> Result<(), LabError> {
    let Some(acceptor) = &ctx.acceptor else {
        return Err(LabError::NoTls(ctx.scenario));
    };
    let tls = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream))
        .await
        .map_err(|_| LabError::Timeout("TLS handshake"))??;
    if ctx.scenario == Scenario::PostTlsClose {
        faults::finish(tls).await;
        return Ok(());
    }
    let refusal = ctx
        .client_check
        .as_ref()
        .and_then(|check| ccert::refusal(check.as_ref(), tls.get_ref().1.peer_certificates()));
    if let Some(refusal) = refusal {
        // Postfix sends nothing until the next command, refuses it, and closes.
        let mut conn = SmtpConn::new(tls);
        if conn.read_command().await?.is_some() {
            conn.send(refusal).await?;
        }
        faults::finish(conn.into_stream()).await;
        return Ok(());
    }
    let mut conn = SmtpConn::new(tls);
    if implicit {
        conn.send(smtp::banner(ctx.scenario.name()).as_bytes())
            .await?;
    }
    dialogue(&mut conn, ctx, true).await?;
    faults::finish(conn.into_stream()).await;
    Ok(())
}

/// The command loop shared by the plain and the TLS side.
async fn dialogue<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut SmtpConn<S>,
    ctx: &Ctx,
    over_tls: bool,
) -> Result<Next, LabError> {
    use Scenario as S;
    let offer_starttls = !over_tls && (ctx.starttls_proceeds() || ctx.scenario == S::Starttls454);
    while let Some(cmd) = conn.read_command().await? {
        if cmd.verb != "STARTTLS" {
            slow(ctx).await;
        }
        match cmd.verb.as_str() {
            "EHLO" | "HELO" if ctx.scenario == S::EhloRejected => {
                conn.send(smtp::EHLO_REJECTED).await?
            }
            "EHLO" if ctx.scenario == S::HugeReply => faults::huge_ehlo_reply(conn).await?,
            "EHLO" => {
                conn.send(smtp::ehlo_reply(offer_starttls).as_bytes())
                    .await?
            }
            "HELO" => conn.send(smtp::helo_reply().as_bytes()).await?,
            "NOOP" | "RSET" => conn.send(smtp::OK).await?,
            "QUIT" => {
                conn.send(smtp::BYE).await?;
                return Ok(Next::Close);
            }
            "STARTTLS" if over_tls => conn.send(smtp::TLS_ALREADY_ACTIVE).await?,
            "STARTTLS" if ctx.scenario == S::Starttls454 => {
                conn.send(smtp::TLS_NOT_AVAILABLE).await?
            }
            "STARTTLS" if ctx.starttls_proceeds() => return Ok(Next::Starttls),
            "STARTTLS" => conn.send(smtp::STARTTLS_NOT_OFFERED).await?,
            _ => conn.send(smtp::NOT_IMPLEMENTED).await?,
        }
    }
    Ok(Next::Close)
}
