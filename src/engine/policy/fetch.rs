//! The MTA-STS policy fetch (RFC 8461 §3.3): `GET /.well-known/mta-sts.txt` from
//! `mta-sts.DOMAIN` over HTTPS, the certificate verified against that name with the plan's
//! trust anchors, no redirects, 200 and `text/plain` required, size and time capped. HTTP
//! framing is hyper's; we only speak one request.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::proto::rr::{RData, RecordType};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;

use crate::plan::Plan;
use crate::policy::{FetchStep, PolicyFetch};

/// Policy files are a few hundred bytes; RFC 8461 §3.3 suggests a 64 KiB cap.
const MAX_BODY: usize = 64 * 1024;
/// The whole fetch, connect to last byte (RFC 8461 §3.3: "a reasonable timeout").
const FETCH_LIMIT: Duration = Duration::from_secs(10);

/// Fetch the policy of `domain`, reporting how it failed in words.
pub async fn fetch(plan: &Plan, domain: &str) -> PolicyFetch {
    let host = format!("mta-sts.{}", domain.trim_end_matches('.'));
    let port = plan.policy.mta_sts_port.unwrap_or(443);
    let url = if port == 443 {
        format!("https://{host}/.well-known/mta-sts.txt")
    } else {
        format!("https://{host}:{port}/.well-known/mta-sts.txt")
    };
    let limit = FETCH_LIMIT.min(plan.timeouts.reply.max(Duration::from_secs(1)));
    let result = match timeout(limit, get(plan, &host, port)).await {
        Ok(r) => r,
        Err(_) => Err((
            FetchStep::Timeout,
            format!("no complete answer within {} s", limit.as_secs()),
        )),
    };
    match result {
        Ok(body) => PolicyFetch {
            url,
            // Escaped line by line: the line breaks are the policy's syntax (§3.2).
            body: Some(
                body.lines()
                    .map(crate::sanitize::escape_str)
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            error: None,
            failed_at: None,
        },
        Err((step, e)) => PolicyFetch {
            url,
            body: None,
            error: Some(crate::sanitize::escape_str(&e)),
            failed_at: Some(step),
        },
    }
}

async fn get(plan: &Plan, host: &str, port: u16) -> Result<String, (FetchStep, String)> {
    use FetchStep::*;
    let mut addrs = Vec::new();
    for rtype in [RecordType::A, RecordType::AAAA] {
        let found = super::dns::query_plain(plan, host, rtype)
            .await
            .map_err(|e| (Dns, format!("cannot resolve {host}: {e}")))?;
        addrs.extend(found.into_iter().filter_map(|r| match r {
            RData::A(a) => Some(SocketAddr::new(a.0.into(), port)),
            RData::AAAA(a) => Some(SocketAddr::new(a.0.into(), port)),
            _ => None,
        }));
    }
    let Some(addr) = addrs.first().copied() else {
        return Err((Dns, format!("{host} has no address")));
    };
    let tcp = crate::engine::attempt::connect(plan, addr)
        .await
        .map_err(|f| (Connect, format!("cannot connect to {addr}: {f:?}")))?;
    let roots = crate::engine::tls::roots(&plan.tls).map_err(|e| (Tls, e.to_string()))?;
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| (Tls, e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from(host.to_string()).map_err(|e| (Dns, e.to_string()))?;
    let tls = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| {
            // rustls' own error rides inside the io::Error: a certificate it refused is the
            // policy host's PKIX failure.
            match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                Some(rustls::Error::InvalidCertificate(c)) => (
                    Certificate,
                    format!("TLS with {host} failed: {}", certificate_words(host, c)),
                ),
                _ => (Tls, format!("TLS with {host} failed: {e}")),
            }
        })?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| (Http, format!("HTTP with {host} failed: {e}")))?;
    let driver = tokio::spawn(conn);
    let request = hyper::Request::get("/.well-known/mta-sts.txt")
        .header(hyper::header::HOST, host)
        .header(
            hyper::header::USER_AGENT,
            concat!("tlsdive/", env!("CARGO_PKG_VERSION")),
        )
        .body(Empty::<Bytes>::new())
        .map_err(|e| (Http, e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| (Http, format!("HTTP request to {host} failed: {e}")))?;
    let status = response.status();
    if status != hyper::StatusCode::OK {
        driver.abort();
        // RFC 8461 §3.3: redirects are not followed, and anything but 200 is no policy.
        let to = response
            .headers()
            .get(hyper::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| format!(" (redirect to {l}, not followed)"))
            .unwrap_or_default();
        return Err((
            Http,
            format!("HTTP status {status}{to}; a policy needs 200"),
        ));
    }
    let ctype = response
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if !ctype
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/plain"))
    {
        driver.abort();
        return Err((
            Http,
            format!("Content-Type is {:?}; a policy must be text/plain", ctype),
        ));
    }
    let body = Limited::new(response.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| {
            (
                Body,
                format!("reading the policy failed: {e} (limit {MAX_BODY} bytes)"),
            )
        })?
        .to_bytes();
    driver.abort();
    String::from_utf8(body.to_vec()).map_err(|_| (Body, "the policy is not UTF-8 text".to_string()))
}

/// The policy host's certificate refused, in words: for a wrong name, the names it holds
/// (rustls gives them as `DnsName("...")`).
fn certificate_words(host: &str, e: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match e {
        C::NotValidForNameContext { presented, .. } => {
            let names: Vec<&str> = presented
                .iter()
                .map(|p| {
                    p.strip_prefix("DnsName(\"")
                        .and_then(|n| n.strip_suffix("\")"))
                        .unwrap_or(p)
                })
                .collect();
            format!(
                "its certificate is not valid for {host} (it names {})",
                if names.is_empty() {
                    "no host".to_string()
                } else {
                    names.join(", ")
                }
            )
        }
        C::NotValidForName => format!("its certificate is not valid for {host}"),
        other => format!("its certificate was refused: {other}"),
    }
}
