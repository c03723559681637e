//! One attempt, walked the way a sending MTA walks it: resolve → connect → banner → EHLO →
//! STARTTLS → TLS handshake → EHLO over TLS → QUIT (never MAIL, RCPT, DATA or AUTH). Every
//! step reports events; the first thing that goes wrong ends the attempt with a `Failure`.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::engine::resolve::{self, Candidate, Found, ResolveError, Route};
use crate::engine::smtp::{self, Reply, ReplyError, ReplyReader};
use crate::engine::tap::{Ending, Flight, FlightState, Tap};
use crate::engine::verify::CapturingVerifier;
use crate::engine::{Emitter, Stepper, tls, tls_failure};
use crate::event::{
    ATTEMPT_TIMEOUTS, ConnectionEnd, EventKind, Failure, Limit, LimitHit, MxHost, Negotiated,
    Phase, TlsFailure,
};
use crate::plan::{Plan, Sni, TlsMode};
use crate::sanitize;

/// How many addresses we try when connections fail, like an MTA walking its MX list
/// (Postfix's `smtp_mx_address_limit` is 5).
const MAX_CANDIDATES: usize = 5;

/// After a failed handshake we read the server's last words (its alert, its FIN) so the
/// timeline shows how the connection really ended: until it is silent for this long...
const DRAIN_SILENCE: Duration = Duration::from_millis(300);
/// ... but never longer than this in all (a server may dribble a byte every 200 ms) ...
const DRAIN_TIME: Duration = Duration::from_secs(1);
/// ... nor more bytes than this (a server may flood).
const DRAIN_BYTES: u64 = 64 * 1024;

/// The TCP socket behind the tap: every byte reported (`TcpData`), TLS watched from STARTTLS on.
type Tcp = Tap<TcpStream>;
type Tls = TlsStream<Tcp>;

/// Run `plan` to its end; always finishes with `AttemptFinished`.
pub async fn run(plan: Plan, em: Emitter, stepper: Arc<Stepper>) {
    em.emit(EventKind::AttemptStarted {
        plan: Box::new(plan.clone()),
    });
    let failure = dialogue(&plan, &em, &stepper).await.err();
    if failure.is_none() {
        em.start_phase(Phase::Done);
    }
    // A certificate that did not verify fails where it was checked, in the handshake, even
    // when the dialogue went on past it for the opportunistic sender's view.
    let phase = match &failure {
        Some(Failure::Tls {
            failure: TlsFailure::Certificate,
            ..
        }) => Phase::TlsHandshake,
        _ => em.phase(),
    };
    em.emit(EventKind::AttemptFinished { failure, phase });
}

async fn dialogue(plan: &Plan, em: &Emitter, stepper: &Stepper) -> Result<(), Failure> {
    em.start_phase(Phase::Resolve);
    // The front ends check plans; this guard keeps a hand-edited recording's plan off the wire.
    crate::plan::check::check(plan).map_err(|e| Failure::Config {
        detail: e.to_string(),
    })?;
    let route = resolve::route(plan).await.map_err(resolve_failure)?;
    // The host being connected to, for the policy lookups: its TLSA is asked at once, not
    // after every other MX host's lookups.
    let (probed, probed_rx) = tokio::sync::watch::channel(None);
    let work = converse(plan, em, stepper, route, probed);
    if crate::engine::policy::applies(plan) {
        // The policy lookups run beside the dialogue, so they never delay the handshake.
        let (result, ()) = tokio::join!(work, crate::engine::policy::lookup(plan, em, probed_rx));
        return result;
    }
    work.await
}

/// Who the attempt is connecting to, for the policy lookups (`None` before the first try).
type Probed = tokio::sync::watch::Sender<Option<String>>;

async fn converse(
    plan: &Plan,
    em: &Emitter,
    stepper: &Stepper,
    route: Route,
    probed: Probed,
) -> Result<(), Failure> {
    let (domain, hosts, more) = match route {
        Route::Ready(found, candidates) => {
            emit_found(em, found);
            em.start_phase(Phase::Connect);
            let (tcp, cand) = connect_any(plan, em, &candidates, &probed).await?;
            drop(probed);
            let ending = Ending::new(em.clone());
            let work = conversation(plan, em, stepper, Tap::new(tcp, ending.clone()), cand);
            return within_attempt_deadline(plan, em, &ending, work).await;
        }
        Route::Mx {
            domain,
            hosts,
            more,
        } => (domain, hosts, more),
    };
    if more > 0 {
        em.emit(EventKind::Note {
            text: format!(
                "{domain} lists {more} more MX hosts than the {} tlsdive resolves; those are \
                 left out",
                resolve::MAX_MX_HOSTS
            ),
        });
    }
    // Connect to the best host as soon as it (and every better one) is resolved; the others
    // are still being resolved meanwhile, each within its own deadline.
    let mut walk = resolve::walk(plan, hosts);
    let mut listed: Vec<MxHost> = Vec::new();
    let mut tries = 0;
    let mut last = None;
    let mut connected = None;
    'hosts: while let Some(h) = walk.recv().await {
        let candidates = resolve::mx_candidates(std::slice::from_ref(&h), plan.port);
        listed.push(h);
        for cand in candidates {
            if tries == MAX_CANDIDATES {
                break 'hosts;
            }
            if tries == 0 {
                em.start_phase(Phase::Connect);
            }
            tries += 1;
            match connect_one(plan, em, &cand, &probed).await {
                Ok(tcp) => {
                    connected = Some((tcp, cand));
                    break 'hosts;
                }
                Err(f @ Failure::Config { .. }) => {
                    last = Some(f);
                    break 'hosts;
                }
                Err(f) => last = Some(f),
            }
        }
    }
    drop(probed);
    let Some((tcp, cand)) = connected else {
        while let Some(h) = walk.recv().await {
            listed.push(h);
        }
        let failure = match last {
            Some(f) => f,
            None => resolve_failure(resolve::unresolved(&domain, &listed, plan.family)),
        };
        em.emit(EventKind::MxResolved {
            domain,
            hosts: listed,
        });
        return Err(failure);
    };
    let rest = async {
        while let Some(h) = walk.recv().await {
            listed.push(h);
        }
        em.emit(EventKind::MxResolved {
            domain: domain.clone(),
            hosts: std::mem::take(&mut listed),
        });
    };
    let ending = Ending::new(em.clone());
    let work = conversation(plan, em, stepper, Tap::new(tcp, ending.clone()), cand);
    let (result, ()) = tokio::join!(within_attempt_deadline(plan, em, &ending, work), rest);
    result
}

/// Run `work` (everything after the TCP connection) within the whole-attempt deadline:
/// every reply and flight has its own deadline, and this one bounds their sum, so a server
/// that answers each step just in time still cannot hold a probe for long. The clock is
/// the attempt's own, so time the user keeps it paused in step mode does not count.
async fn within_attempt_deadline(
    plan: &Plan,
    em: &Emitter,
    ending: &Ending,
    work: impl std::future::Future<Output = Result<(), Failure>>,
) -> Result<(), Failure> {
    let limit = plan.timeouts.reply.saturating_mul(ATTEMPT_TIMEOUTS);
    let began = em.elapsed();
    tokio::pin!(work);
    loop {
        let spent = em.elapsed().saturating_sub(began);
        let Some(left) = limit.checked_sub(spent).filter(|l| !l.is_zero()) else {
            em.emit(EventKind::LimitReached {
                hit: LimitHit {
                    limit: Limit::Attempt,
                    waiting_for: em.phase().name().to_string(),
                    waited_us: u64::try_from(spent.as_micros()).unwrap_or(u64::MAX),
                    bytes: 0,
                    records: 0,
                    empty_records: 0,
                    warning_alerts: 0,
                },
            });
            ending.report(ConnectionEnd::Timeout);
            return Err(Failure::Timeout);
        };
        tokio::select! {
            r = &mut work => return r,
            _ = tokio::time::sleep(left) => {}
        }
    }
}

async fn conversation(
    plan: &Plan,
    em: &Emitter,
    stepper: &Stepper,
    tcp: Tcp,
    cand: Candidate,
) -> Result<(), Failure> {
    match plan.mode {
        TlsMode::Starttls => {
            let mut conv = Conversation::new(tcp, em, plan.timeouts.reply, false);
            em.start_phase(Phase::Banner);
            conv.expect(220, "banner").await?;
            em.start_phase(Phase::Ehlo);
            let ehlo = conv.ehlo(plan, stepper).await?;
            if !ehlo.has_capability("STARTTLS") {
                conv.quit().await;
                return Err(Failure::StarttlsNotOffered);
            }
            em.start_phase(Phase::Starttls);
            stepper.gate("STARTTLS", em, Some(&conv.stream)).await;
            conv.send("STARTTLS").await?;
            let reply = conv.reply().await?;
            if reply.code != 220 {
                conv.quit().await;
                return Err(Failure::BadReply { code: reply.code });
            }
            if !conv.reader.leftover().is_empty() {
                let bytes = conv.reader.leftover();
                em.emit(EventKind::PlaintextInjected {
                    bytes: bytes.len(),
                    preview: sanitize::cap(&sanitize::escape_bytes(bytes), 200),
                });
                conv.stream.closed_by_us();
                return Err(Failure::PlaintextInjection);
            }
            let at_220 = em.now_us();
            let (tls, past) =
                handshake(conv.stream, plan, &cand, em, stepper, Some(at_220)).await?;
            let after = async {
                let mut conv = Conversation::new(tls, em, plan.timeouts.reply, true);
                conv.ehlo(plan, stepper).await?;
                conv.quit().await;
                close(conv.stream).await;
                Ok(())
            };
            past_verification(em, past, after.await)
        }
        TlsMode::Implicit => {
            let (tls, past) = handshake(tcp, plan, &cand, em, stepper, None).await?;
            let after = async {
                let mut conv = Conversation::new(tls, em, plan.timeouts.reply, true);
                em.emit(EventKind::Note {
                    text: "implicit TLS: the banner comes over TLS".into(),
                });
                conv.expect(220, "banner").await?;
                conv.ehlo(plan, stepper).await?;
                conv.quit().await;
                close(conv.stream).await;
                Ok(())
            };
            past_verification(em, past, after.await)
        }
    }
}

/// The end of a TLS dialogue. When it went on past our failed strict verification (`past`:
/// that failure), how it went is reported for the senders that do not verify, and the
/// attempt fails on the certificate, as a verifying sender does.
fn past_verification(
    em: &Emitter,
    past: Option<Failure>,
    after: Result<(), Failure>,
) -> Result<(), Failure> {
    match past {
        None => after,
        Some(cert) => {
            em.emit(EventKind::PastFailedVerification {
                failure: after.err(),
            });
            Err(cert)
        }
    }
}

/// The failure of a strict attempt whose certificate did not verify.
fn certificate_failure(e: &rustls::Error) -> Failure {
    Failure::Tls {
        error: sanitize::escape_str(&e.to_string()),
        failure: TlsFailure::Certificate,
    }
}

fn resolve_failure(e: ResolveError) -> Failure {
    match e {
        ResolveError::Dns { .. } => Failure::DnsFailed {
            detail: sanitize::escape_str(&e.to_string()),
        },
        ResolveError::NoAddresses { mx, .. } => Failure::NoAddresses {
            detail: sanitize::escape_str(&e.to_string()),
            null_mx: false,
            no_mx: mx,
        },
        ResolveError::NullMx { .. } => Failure::NoAddresses {
            detail: sanitize::escape_str(&e.to_string()),
            null_mx: true,
            no_mx: true,
        },
    }
}

fn emit_found(em: &Emitter, found: Found) {
    match found {
        Found::Mx { domain, hosts } => em.emit(EventKind::MxResolved { domain, hosts }),
        Found::ImplicitMx { domain, addresses } => {
            em.emit(EventKind::ImplicitMx { domain, addresses })
        }
        Found::Host { host, addresses } => em.emit(EventKind::HostResolved { host, addresses }),
        Found::Pinned | Found::Ip => {}
    }
}

async fn connect_any(
    plan: &Plan,
    em: &Emitter,
    candidates: &[Candidate],
    probed: &Probed,
) -> Result<(TcpStream, Candidate), Failure> {
    let mut last = Failure::ConnectRefused;
    for cand in candidates.iter().take(MAX_CANDIDATES) {
        match connect_one(plan, em, cand, probed).await {
            Ok(tcp) => return Ok((tcp, cand.clone())),
            // A local problem (the source address) fails every candidate alike.
            Err(f @ Failure::Config { .. }) => return Err(f),
            Err(f) => last = f,
        }
    }
    Err(last)
}

/// One TCP connection to `cand`, reported; a failure is noted and returned.
async fn connect_one(
    plan: &Plan,
    em: &Emitter,
    cand: &Candidate,
    probed: &Probed,
) -> Result<TcpStream, Failure> {
    em.emit(EventKind::ConnectStarted {
        peer: cand.addr,
        host: cand.host.clone(),
    });
    probed.send_replace(cand.host.clone());
    match connect(plan, cand.addr).await {
        Ok(tcp) => {
            if let (Ok(local), Ok(peer)) = (tcp.local_addr(), tcp.peer_addr()) {
                let unix_us = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()
                    .and_then(|d| u64::try_from(d.as_micros()).ok());
                em.emit(EventKind::Connected {
                    local,
                    peer,
                    unix_us,
                });
            }
            Ok(tcp)
        }
        Err(f @ Failure::Config { .. }) => Err(f),
        Err(f) => {
            em.emit(EventKind::Note {
                text: format!("connection to {} failed: {}", cand.addr, describe(&f)),
            });
            Err(f)
        }
    }
}

pub use crate::net::connect;

fn describe(f: &Failure) -> String {
    match f {
        Failure::ConnectRefused => "refused".into(),
        Failure::ConnectTimeout => "timed out".into(),
        Failure::Unreachable { detail } | Failure::Config { detail } | Failure::Io { detail } => {
            detail.clone()
        }
        other => format!("{other:?}"),
    }
}

/// The names of a handshake: the one sent as SNI (unless SNI is off) and the one the
/// certificate is verified against. The second is what a sending MTA checks (the MX host or
/// the `[host]`), or `--verify-name`; never silently the SNI under test.
fn server_names(
    plan: &Plan,
    cand: &Candidate,
) -> Result<(ServerName<'static>, ServerName<'static>), Failure> {
    let host = cand
        .host
        .clone()
        .unwrap_or_else(|| cand.addr.ip().to_string());
    let sni = match &plan.tls.sni {
        Sni::Name(n) => n.clone(),
        _ => host.clone(),
    };
    let verify = plan.tls.verify_name.clone().unwrap_or(host);
    let parse = |name: String| {
        ServerName::try_from(name.clone()).map_err(|_| Failure::Config {
            detail: format!("{} is not a valid server name", sanitize::escape_str(&name)),
        })
    };
    Ok((parse(sni)?, parse(verify)?))
}

async fn handshake(
    tcp: Tcp,
    plan: &Plan,
    cand: &Candidate,
    em: &Emitter,
    stepper: &Stepper,
    at_220: Option<u64>,
) -> Result<(Tls, Option<Failure>), Failure> {
    let config_err = |detail: String| Failure::Config { detail };
    let roots = tls::roots(&plan.tls).map_err(|e| config_err(e.to_string()))?;
    let provider = Arc::new(tls::provider(&plan.tls).map_err(|e| config_err(e.to_string()))?);
    let (name, verify_name) = server_names(plan, cand)?;
    let verifier = Arc::new(
        CapturingVerifier::new(
            roots,
            provider,
            verify_name,
            !matches!(plan.tls.sni, Sni::Off),
            em.clone(),
        )
        .map_err(config_err)?,
    );
    let secrets = em.secrets().clone();
    let config = tls::client_config(&plan.tls, verifier.clone(), em, &secrets)
        .map_err(|e| config_err(e.to_string()))?;
    em.start_phase(Phase::TlsHandshake);
    let ending = tcp.ending().clone();
    // rustls writes its ClientHello when the connection is made, before any I/O: step mode
    // shows those bytes, parsed, while it waits to send them.
    let mut prepared = Vec::new();
    let mut connect = TlsConnector::from(Arc::new(config)).connect_with(name, tcp, |conn| {
        prepared = tls::pending_tls(conn);
    });
    stepper
        .gate_showing("ClientHello", em, connect.get_ref(), || {
            tls::client_hello(&prepared).map(|hello| EventKind::ClientHelloPrepared {
                hello: Box::new(hello),
            })
        })
        .await;
    // The flight's clock starts after the pause: the user's time is not the server's.
    let flight = Flight::new();
    if let Some(tap) = connect.get_mut() {
        tap.watch_tls(flight.clone(), secrets, at_220);
    }
    let mut connect = connect.into_fallible();
    let limit = plan.timeouts.reply;
    // One deadline per server flight, from our last write: bytes, empty records or warning
    // alerts dribbled by the server do not move it.
    let result = loop {
        let deadline = tokio::time::Instant::from_std(flight.with(|s| s.started) + limit);
        tokio::select! {
            r = &mut connect => break r,
            _ = tokio::time::sleep_until(deadline) => {
                let now = flight.snapshot();
                if now.started + limit <= std::time::Instant::now() {
                    em.emit(EventKind::LimitReached { hit: flight_hit(&now) });
                    ending.report(ConnectionEnd::Timeout);
                    return Err(Failure::Timeout);
                }
            }
        }
    };
    match result {
        Ok(stream) => {
            let conn = stream.get_ref().1;
            let negotiated = Negotiated {
                version: conn
                    .protocol_version()
                    .map(|v| crate::wire::names::version_name(u16::from(v)))
                    .unwrap_or_default(),
                cipher_suite: conn
                    .negotiated_cipher_suite()
                    .map(|s| crate::wire::names::suite_name(u16::from(s.suite())))
                    .unwrap_or_default(),
                group: conn
                    .negotiated_key_exchange_group()
                    .map(|g| crate::wire::names::group_name(u16::from(g.name()))),
                handshake_kind: match conn.handshake_kind() {
                    Some(rustls::HandshakeKind::Full) => "full",
                    Some(rustls::HandshakeKind::FullWithHelloRetryRequest) => {
                        "full-with-hello-retry"
                    }
                    Some(rustls::HandshakeKind::Resumed) => "resumed",
                    None => "unknown",
                }
                .to_string(),
                alpn: conn.alpn_protocol().map(sanitize::escape_bytes),
            };
            em.emit(EventKind::TlsEstablished { negotiated });
            // Strict verification failed, yet the handshake went on: say so where it happened.
            let past = verifier
                .failure()
                .filter(|_| plan.tls.verify)
                .map(|e| certificate_failure(&e));
            if past.is_some() {
                em.emit(EventKind::Note {
                    text: "the certificate did not verify; the handshake was completed past the failed verification to see what an opportunistic sender gets".into(),
                });
            }
            em.start_phase(Phase::PostTls);
            Ok((stream, past))
        }
        Err((err, mut tap)) => {
            let failure = match stream_failure(&err) {
                // An I/O error the socket never raised is rustls' own read_tls refusing
                // what the server sent: the server's doing, never our internal error.
                Failure::Io { .. } if !flight.with(|s| s.socket_failed) => Failure::Tls {
                    error: sanitize::escape_str(&err.to_string()),
                    failure: tls_failure::read_tls(&err),
                },
                f => f,
            };
            // Give the server a moment to finish what it was saying (its alert, its FIN)
            // so the timeline shows how the connection really ended — unless we are the
            // ones who refused (the certificate): then there is nothing to wait for.
            let we_refused = matches!(
                &failure,
                Failure::Tls {
                    failure: TlsFailure::Certificate,
                    ..
                }
            );
            if !tap.has_ended() && !we_refused {
                drain(&mut tap, limit, em).await;
            }
            tap.closed_by_us();
            // Past a failed strict verification the handshake failed for another reason:
            // that is what an opportunistic sender gets; a verifying one stops at the
            // certificate.
            match verifier.failure().filter(|_| plan.tls.verify) {
                Some(e) if !we_refused => {
                    em.emit(EventKind::PastFailedVerification {
                        failure: Some(failure),
                    });
                    Err(certificate_failure(&e))
                }
                _ => Err(failure),
            }
        }
    }
}

/// What a flight deadline found: what we waited for and what the server sent meanwhile.
fn flight_hit(f: &FlightState) -> LimitHit {
    let waiting_for = if f.server_records == 0 {
        "ServerHello"
    } else {
        "the rest of the server's handshake"
    };
    LimitHit {
        limit: Limit::Flight,
        waiting_for: waiting_for.into(),
        waited_us: u64::try_from(f.started.elapsed().as_micros()).unwrap_or(u64::MAX),
        bytes: f.bytes,
        records: f.records,
        empty_records: f.empty_records,
        warning_alerts: f.warning_alerts,
    }
}

/// Read what the server still sends after a failed handshake, bounded by silence, total
/// time and bytes; say so when a bound other than silence ended it.
async fn drain(tap: &mut Tcp, limit: Duration, em: &Emitter) {
    let began = std::time::Instant::now();
    let mut got: u64 = 0;
    let mut sink = [0u8; 4096];
    let cut = loop {
        let Some(left) = DRAIN_TIME.checked_sub(began.elapsed()) else {
            break Some(Limit::DrainTime);
        };
        let wait = limit.min(DRAIN_SILENCE).min(left);
        match timeout(wait, tap.read(&mut sink)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break None,
            Ok(Ok(n)) => {
                got += n as u64;
                if got >= DRAIN_BYTES {
                    break Some(Limit::DrainBytes);
                }
            }
            Err(_) if began.elapsed() >= DRAIN_TIME => break Some(Limit::DrainTime),
            Err(_) => break None,
        }
    };
    if let Some(limit) = cut {
        em.emit(EventKind::LimitReached {
            hit: LimitHit {
                limit,
                waiting_for: "the end of the connection after the failed handshake".into(),
                waited_us: u64::try_from(began.elapsed().as_micros()).unwrap_or(u64::MAX),
                bytes: got,
                records: 0,
                empty_records: 0,
                warning_alerts: 0,
            },
        });
    }
}

/// Map an I/O error from (or through) TLS to what happened.
fn stream_failure(err: &io::Error) -> Failure {
    if let Some(tls) = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return Failure::Tls {
            error: sanitize::escape_str(&tls.to_string()),
            failure: tls_failure::classify(tls),
        };
    }
    match err.kind() {
        io::ErrorKind::UnexpectedEof => Failure::PeerClosed,
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => Failure::PeerReset,
        io::ErrorKind::BrokenPipe => Failure::PeerReset,
        _ => smtp::io_failure(io::Error::new(err.kind(), err.to_string())),
    }
}

async fn close(mut stream: Tls) {
    let _ = timeout(Duration::from_secs(1), stream.shutdown()).await;
    stream.get_mut().0.closed_by_us();
}

/// The tap under a stream: the plain one is watched during a step-mode pause, and the tap's
/// [`Ending`] is where a deadline reports the end.
trait Tapped {
    fn plain(&self) -> Option<&Tcp>;
    fn tap(&self) -> &Tcp;
}

impl Tapped for Tcp {
    fn plain(&self) -> Option<&Tcp> {
        Some(self)
    }
    fn tap(&self) -> &Tcp {
        self
    }
}

impl Tapped for Tls {
    fn plain(&self) -> Option<&Tcp> {
        None
    }
    fn tap(&self) -> &Tcp {
        self.get_ref().0
    }
}

/// An SMTP conversation over plain TCP or TLS.
struct Conversation<'a, S> {
    stream: S,
    reader: ReplyReader,
    em: &'a Emitter,
    timeout: Duration,
    tls: bool,
    /// The verb of the last command sent (None: we wait for the banner).
    last_command: Option<String>,
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin + Tapped> Conversation<'a, S> {
    fn new(stream: S, em: &'a Emitter, timeout: Duration, tls: bool) -> Self {
        Conversation {
            stream,
            reader: ReplyReader::new(),
            em,
            timeout,
            tls,
            last_command: None,
        }
    }

    async fn send(&mut self, line: &str) -> Result<(), Failure> {
        self.last_command = line.split_whitespace().next().map(str::to_string);
        self.em.emit(EventKind::SmtpSent {
            line: line.to_string(),
            tls: self.tls,
        });
        match timeout(self.timeout, smtp::send_line(&mut self.stream, line)).await {
            Err(_) => Err(self.timed_out()),
            Ok(Ok(())) => Ok(()),
            // The tap has reported the reset, if that is what it was.
            Ok(Err(e)) => Err(stream_failure(&e)),
        }
    }

    async fn reply(&mut self) -> Result<Reply, Failure> {
        let em = self.em;
        let tls = self.tls;
        let mut on_line = |l: smtp::Line| {
            em.emit(EventKind::SmtpReceived {
                line: l.text,
                tls,
                truncated: l.truncated,
            })
        };
        let before = self.reader.received();
        let began = std::time::Instant::now();
        // A deadline for the whole reply, from when we start waiting: a server that
        // dribbles a byte now and then cannot stretch it.
        let read = self.reader.read_reply(&mut self.stream, &mut on_line);
        match timeout(self.timeout, read).await {
            Err(_) => {
                let waiting_for = match &self.last_command {
                    None => "banner".to_string(),
                    Some(verb) => format!("reply to {verb}"),
                };
                self.em.emit(EventKind::LimitReached {
                    hit: LimitHit {
                        limit: Limit::Reply,
                        waiting_for,
                        waited_us: u64::try_from(began.elapsed().as_micros()).unwrap_or(u64::MAX),
                        bytes: self.reader.received().saturating_sub(before),
                        records: 0,
                        empty_records: 0,
                        warning_alerts: 0,
                    },
                });
                Err(self.timed_out())
            }
            Ok(Ok(r)) => Ok(r),
            // A FIN or RST has been reported by the tap, which saw it.
            Ok(Err(e)) => {
                if let ReplyError::TooLong { lines, bytes } = &e {
                    self.em.emit(EventKind::SmtpReplyCut {
                        lines: *lines,
                        bytes: *bytes,
                    });
                }
                Err(e.failure(|e| stream_failure(&e)))
            }
        }
    }

    fn timed_out(&self) -> Failure {
        self.stream.tap().ending().report(ConnectionEnd::Timeout);
        Failure::Timeout
    }

    /// Read a reply and insist on `code`; anything else ends the attempt politely.
    async fn expect(&mut self, code: u16, _what: &str) -> Result<Reply, Failure> {
        let reply = self.reply().await?;
        if reply.code != code {
            self.quit().await;
            return Err(Failure::BadReply { code: reply.code });
        }
        Ok(reply)
    }

    /// EHLO, falling back to HELO for the record when EHLO is refused (RFC 5321 §4.1.4).
    async fn ehlo(&mut self, plan: &Plan, stepper: &Stepper) -> Result<Reply, Failure> {
        stepper.gate("EHLO", self.em, self.stream.plain()).await;
        self.send(&format!("EHLO {}", plan.ehlo)).await?;
        let reply = self.reply().await?;
        if reply.code == 250 {
            return Ok(reply);
        }
        if (500..600).contains(&reply.code) {
            self.send(&format!("HELO {}", plan.ehlo)).await?;
            let _ = self.reply().await;
        }
        self.quit().await;
        Err(Failure::BadReply { code: reply.code })
    }

    /// QUIT and read the goodbye; failures here change nothing.
    async fn quit(&mut self) {
        if self.send("QUIT").await.is_ok() {
            let _ = self.reply().await;
        }
    }
}
