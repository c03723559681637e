//! The exporter's HTTP side (hyper, HTTP/1.1): `/probe` checks the target against the
//! allow-list before anything else, waits for a probe slot within the scrape's deadline,
//! runs the probe through an `EngineHandle` and folds its events into a `Session` (the engine
//! decides nothing, the exporter judges the finished attempt like every front end), and
//! `/metrics` reports the exporter's own counters.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::config::Config;
use crate::engine::EngineHandle;
use crate::event::EventKind;
use crate::session::Session;
use crate::triage::{Destination, only};

/// A scrape without `X-Prometheus-Scrape-Timeout-Seconds` gets this long.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest probe a scrape may ask for.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(120);
/// Kept back from the scrape's timeout so the answer reaches Prometheus in time.
pub const MARGIN: Duration = Duration::from_millis(500);

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: String,
}

/// The exporter's state: its configuration, its probe slots and its own counters.
pub struct Exporter {
    config: Config,
    slots: Semaphore,
    requests: Family<ResultLabels, Counter>,
    in_flight: Gauge<i64, std::sync::atomic::AtomicI64>,
    registry: Registry,
}

impl Exporter {
    pub fn new(config: Config) -> Exporter {
        let mut registry = Registry::with_prefix("tlsdive_exporter");
        let requests = Family::<ResultLabels, Counter>::default();
        registry.register(
            "probe_requests",
            "Probe requests by result: success, failure (probed, not ok), refused (not allowed), busy (no slot in time), bad-request",
            requests.clone(),
        );
        let in_flight = Gauge::<i64, std::sync::atomic::AtomicI64>::default();
        registry.register("probes_in_flight", "Probes running now", in_flight.clone());
        let limit = Gauge::<i64, std::sync::atomic::AtomicI64>::default();
        limit.set(i64::try_from(config.max_concurrent).unwrap_or(i64::MAX));
        registry.register(
            "max_concurrent_probes",
            "Most probes run at once (more wait for a slot within their scrape's deadline)",
            limit,
        );
        Exporter {
            slots: Semaphore::new(config.max_concurrent),
            config,
            requests,
            in_flight,
            registry,
        }
    }

    fn count(&self, result: &str) {
        self.requests
            .get_or_create(&ResultLabels {
                result: result.into(),
            })
            .inc();
    }

    /// Answer one request.
    pub async fn handle(&self, req: &Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
        if req.method() != hyper::Method::GET {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET\n".into());
        }
        match req.uri().path() {
            "/probe" => self.probe(req).await,
            "/metrics" => {
                let mut out = String::new();
                match prometheus_client::encoding::text::encode(&mut out, &self.registry) {
                    Ok(()) => metrics(out),
                    Err(_) => plain(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "encoding failed\n".into(),
                    ),
                }
            }
            "/" => plain(
                StatusCode::OK,
                "tlsdive exporter: /probe?target=DOMAIN|[host]|ip&module=NAME&port=N, /metrics\n"
                    .into(),
            ),
            _ => plain(
                StatusCode::NOT_FOUND,
                "not found: try /probe or /metrics\n".into(),
            ),
        }
    }

    async fn probe(&self, req: &Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
        let started = Instant::now();
        let deadline = started + scrape_timeout(req);
        let query = Query::parse(req.uri().query().unwrap_or_default());
        let bad = |why: String| {
            self.count("bad-request");
            plain(StatusCode::BAD_REQUEST, format!("{why}\n"))
        };
        let Some(target) = query.target.as_deref().filter(|t| !t.is_empty()) else {
            return bad("a target is required: /probe?target=example.com".into());
        };
        let shown = crate::sanitize::cap(&crate::sanitize::escape_str(target), 200);
        let port = match query.port.as_deref().map(str::parse::<u16>) {
            None => None,
            Some(Ok(p)) if p > 0 => Some(p),
            Some(_) => return bad("port must be a number from 1 to 65535".into()),
        };
        let module_name = query.module.as_deref().unwrap_or("default");
        let Some(module) = self.config.modules.get(module_name) else {
            return bad(format!(
                "unknown module {:?}: configured are {}",
                crate::sanitize::escape_str(module_name),
                self.config
                    .modules
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        // The allow-list decides before any lookup or connection.
        let allowed =
            Destination::from_target(target).is_some_and(|d| only::admits(&self.config.allow, &d));
        if !allowed {
            self.count("refused");
            return plain(
                StatusCode::FORBIDDEN,
                format!(
                    "{shown} is not allowed: this exporter probes only what its allow-list names\n"
                ),
            );
        }
        let plan = match module.plan(target, port) {
            Ok(p) => p,
            Err(why) => return bad(format!("{shown}: {why}")),
        };
        let Ok(Ok(_slot)) = tokio::time::timeout_at(deadline.into(), self.slots.acquire()).await
        else {
            self.count("busy");
            return plain(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "every probe slot ({}) stayed busy until the scrape's deadline\n",
                    self.config.max_concurrent
                ),
            );
        };
        self.in_flight.inc();
        let (session, deadline_hit) = run(plan, deadline).await;
        self.in_flight.dec();
        let attempt = session.attempts.first();
        let ok = attempt.is_some_and(|a| crate::diagnose::diagnose(a).ok) && !deadline_hit;
        self.count(if ok { "success" } else { "failure" });
        match super::metrics::probe_metrics(attempt, started.elapsed().as_secs_f64(), deadline_hit)
        {
            Ok(text) => metrics(text),
            Err(_) => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "encoding failed\n".into(),
            ),
        }
    }
}

/// Run `plan` through the engine until its attempt finishes or `deadline` passes (then it
/// is cancelled and reports so). Returns the session and whether the deadline ended it.
async fn run(plan: crate::plan::Plan, deadline: Instant) -> (Session, bool) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut engine = EngineHandle::new(tx);
    let id = engine.start(plan);
    let mut session = Session::new();
    let mut hit = false;
    loop {
        let ev = if hit {
            rx.recv().await
        } else {
            match tokio::time::timeout_at(deadline.into(), rx.recv()).await {
                Ok(ev) => ev,
                Err(_) => {
                    hit = true;
                    engine.cancel();
                    continue;
                }
            }
        };
        let Some(ev) = ev else { break };
        let done = ev.attempt == id && matches!(ev.kind, EventKind::AttemptFinished { .. });
        session.apply(&ev);
        if done {
            break;
        }
    }
    (session, hit)
}

/// The scrape's own timeout (Prometheus sends it), less a margin, at most [`MAX_TIMEOUT`].
fn scrape_timeout(req: &Request<hyper::body::Incoming>) -> Duration {
    req.headers()
        .get("X-Prometheus-Scrape-Timeout-Seconds")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| Duration::from_secs_f64(s.min(MAX_TIMEOUT.as_secs_f64())))
        .map_or(DEFAULT_TIMEOUT, |t| {
            t.saturating_sub(MARGIN).max(Duration::from_millis(100))
        })
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Query {
    target: Option<String>,
    module: Option<String>,
    port: Option<String>,
}

impl Query {
    fn parse(q: &str) -> Query {
        let mut out = Query::default();
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            let slot = match k.as_ref() {
                "target" => &mut out.target,
                "module" => &mut out.module,
                "port" => &mut out.port,
                _ => continue,
            };
            // The first value counts, as in blackbox_exporter.
            slot.get_or_insert_with(|| v.into_owned());
        }
        out
    }
}

fn plain(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn metrics(body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(OPENMETRICS),
    );
    r
}

/// HTTP connections served at once; more wait in the kernel's accept queue. Prometheus opens
/// one per scrape target, so this is generous, and it keeps a flood of idle connections from
/// taking every file descriptor the probes need.
pub const MAX_CONNECTIONS: usize = 256;
/// How long a client may take to send its request head (a stalled client frees its slot).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest pause after a failed accept (out of file descriptors, say): the pause doubles
/// from 10 ms up to this, so a persistent error does not spin a core.
pub const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Serve `exporter` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, exporter: Arc<Exporter>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut backoff: Option<Duration> = None;
    loop {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return; // never closed
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => {
                if backoff.take().is_some() {
                    eprintln!("tlsdive exporter: accepting connections again");
                }
                stream
            }
            Err(e) => {
                let wait = match backoff {
                    None => {
                        eprintln!(
                            "tlsdive exporter: cannot accept a connection: {e}; retrying every \
                             {} ms up to every {} s until it works",
                            10,
                            MAX_ACCEPT_BACKOFF.as_secs()
                        );
                        Duration::from_millis(10)
                    }
                    Some(w) => (w * 2).min(MAX_ACCEPT_BACKOFF),
                };
                backoff = Some(wait);
                tokio::time::sleep(wait).await;
                continue;
            }
        };
        let exporter = Arc::clone(&exporter);
        tokio::spawn(async move {
            let _slot = slot;
            let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                let exporter = Arc::clone(&exporter);
                async move { Ok::<_, Infallible>(exporter.handle(&req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_takes_the_first_value_and_decodes() {
        let q = Query::parse("target=%5Bmx.example.com%5D&module=lab&port=2525&target=other");
        assert_eq!(q.target.as_deref(), Some("[mx.example.com]"));
        assert_eq!(q.module.as_deref(), Some("lab"));
        assert_eq!(q.port.as_deref(), Some("2525"));
        assert_eq!(Query::parse(""), Query::default());
    }
}
