//! One lab server: the accept loop, and the per-connection script that plays the
//! scenario's fault at the right moment of the SMTP dialogue.
//!
//! Every connection runs in its own task inside a `JoinSet` owned by the accept task, so
//! aborting the accept task (dropping the `LabServer`) also ends every open connection.
//! A connection's errors end that connection only; nothing is printed.

use std::future::Future;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::faults;
use super::smtp::{self, SmtpConn};
use super::{LabError, Scenario};

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
    /// Connections being served now (the rate-limited scenario refuses a second one).
    pub active: std::sync::atomic::AtomicUsize,
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
                    | S::HandshakeStall
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
    if ctx.scenario == S::RateLimited && already > 0 {
        smtp::write_timed(&mut stream, smtp::BANNER_421_BUSY).await?;
        faults::finish(stream).await;
        return Ok(());
    }
    match ctx.scenario {
        S::ImplicitTls => return serve_tls(stream, ctx, true).await,
        S::SlowBanner => {
            faults::hold_silently(&mut stream).await;
            return Ok(());
        }
        S::Banner421 | S::NotSmtp => {
            let greeting = if ctx.scenario == S::NotSmtp {
                faults::NOT_SMTP_GREETING
            } else {
                smtp::BANNER_421
            };
            smtp::write_timed(&mut stream, greeting).await?;
            faults::finish(stream).await;
            return Ok(());
        }
        _ => {}
    }
    let mut conn = SmtpConn::new(stream);
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
    smtp::write_timed(&mut stream, smtp::READY_FOR_TLS).await?;
    match ctx.scenario {
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

/// TLS handshake, then the SMTP dialogue over TLS (with a banner first if `implicit`).
async fn serve_tls(stream: TcpStream, ctx: &Ctx, implicit: bool) -> Result<(), LabError> {
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
