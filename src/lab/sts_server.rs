//! An HTTPS server on loopback that serves MTA-STS policy files for the policy lab: one
//! answer (status, Content-Type, body) per `mta-sts.DOMAIN` host, over rustls with a
//! certificate for every such name from a CA of its own (hand its PEM to the plan's trust).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::LabError;

/// What the server answers for one host.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    /// Whether the server's certificate names this host (`false`: a sender's PKIX check of
    /// the policy host fails, RFC 8460's `sts-webpki-invalid`).
    pub named: bool,
}

impl Answer {
    /// A well-formed policy answer.
    pub fn policy(body: &str) -> Answer {
        Answer {
            status: 200,
            content_type: "text/plain".into(),
            body: body.into(),
            named: true,
        }
    }

    /// A well-formed policy, served under a certificate that does not name its host.
    pub fn policy_unnamed(body: &str) -> Answer {
        Answer {
            named: false,
            ..Answer::policy(body)
        }
    }
}

/// A running policy server; stops when dropped.
#[derive(Debug)]
pub struct StsServer {
    pub addr: SocketAddr,
    /// The CA that issued the server's certificate, PEM.
    pub ca_pem: String,
    task: JoinHandle<()>,
}

impl Drop for StsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serve `answers` (keyed by host name, e.g. `mta-sts.example.test`) on 127.0.0.1.
pub async fn serve(answers: HashMap<String, Answer>) -> Result<StsServer, LabError> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "tlsdive lab MTA-STS CA");
    let ca_cert = ca.clone().self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, &ca_key);
    let leaf_key = KeyPair::generate()?;
    let mut names: Vec<String> = answers
        .iter()
        .filter(|(_, a)| a.named)
        .map(|(h, _)| h.clone())
        .collect();
    names.sort();
    let leaf = CertificateParams::new(names)?.signed_by(&leaf_key, &issuer)?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(leaf.der().to_vec())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
    )?;
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let answers = Arc::new(answers);
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let answers = answers.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let answers = answers.clone();
                    async move { Ok::<_, Infallible>(respond(&answers, &req)) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Ok(StsServer {
        addr,
        ca_pem: ca_cert.pem(),
        task,
    })
}

fn respond(
    answers: &HashMap<String, Answer>,
    req: &Request<hyper::body::Incoming>,
) -> Response<Full<Bytes>> {
    let host = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase())
        .unwrap_or_default();
    let found = answers
        .get(&host)
        .filter(|_| req.uri().path() == "/.well-known/mta-sts.txt");
    let (status, ctype, body) = match found {
        Some(a) => (a.status, a.content_type.clone(), a.body.clone()),
        None => (404, "text/plain".to_string(), "not found\n".to_string()),
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    if let Ok(v) = hyper::header::HeaderValue::from_str(&ctype) {
        resp.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    resp
}
