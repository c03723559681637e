//! The server-side rustls configuration for each scenario: which protocol versions,
//! which certificate chain, and whether a client certificate is required.
//!
//! Built once per server at start (not per connection), with the aws-lc-rs provider
//! spelled out so the lab does not depend on a process-wide default provider.

use std::sync::Arc;

use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use rustls::{RootCertStore, ServerConfig, SupportedProtocolVersion};
use rustls_pki_types::CertificateDer;

use super::ccert::AskAnyCertificate;
use super::pki::{LeafKey, Pki};
use super::{LabError, Scenario};

/// The second acceptor of a scenario whose connections do not all get the same server: for
/// `every-third-expired`, the bad backend's (the expired leaf).
pub(crate) fn alternate(
    scenario: Scenario,
    pki: &Pki,
) -> Result<Option<tokio_rustls::TlsAcceptor>, LabError> {
    match scenario {
        Scenario::EveryThirdExpired => acceptor(Scenario::ExpiredCert, pki),
        _ => Ok(None),
    }
}

/// The acceptor for `scenario`, or `None` when the scenario never reaches TLS.
pub(crate) fn acceptor(
    scenario: Scenario,
    pki: &Pki,
) -> Result<Option<tokio_rustls::TlsAcceptor>, LabError> {
    use Scenario as S;
    let both: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];
    let (versions, leaf, extra): (
        &[&SupportedProtocolVersion],
        &LeafKey,
        Option<&CertificateDer<'static>>,
    ) = match scenario {
        S::Tls12Only | S::OneByteFragments => (
            &[&rustls::version::TLS12],
            &pki.server,
            Some(&pki.intermediate),
        ),
        S::Tls13Only => (
            &[&rustls::version::TLS13],
            &pki.server,
            Some(&pki.intermediate),
        ),
        S::ExpiredCert => (both, &pki.expired, Some(&pki.intermediate)),
        S::NotYetValidCert => (both, &pki.not_yet_valid, Some(&pki.intermediate)),
        S::WrongNameCert => (both, &pki.wrong_name, Some(&pki.intermediate)),
        S::SelfSignedCert => (both, &pki.self_signed, None),
        S::UntrustedCert => (both, &pki.untrusted, Some(&pki.rogue)),
        S::ChainIncomplete => (both, &pki.server, None),
        S::Healthy
        | S::ClientCertRequired
        | S::HostileBytes
        | S::PlaintextInjection
        | S::ImplicitTls
        | S::PostTlsClose
        | S::RateLimited
        | S::ClientCertAfterHandshake
        | S::SlowReplies
        | S::RefuseEverySecond
        | S::DropsLargeHello
        | S::EveryThirdExpired => (both, &pki.server, Some(&pki.intermediate)),
        S::NoStarttls
        | S::Starttls454
        | S::CloseAfterStarttls
        | S::CloseAfterClientHello
        | S::ResetAfterClientHello
        | S::FatalAlert
        | S::RefusesEveryVersion
        | S::SlowBanner
        | S::Banner421
        | S::Banner554
        | S::EhloRejected
        | S::HugeReply
        | S::NotSmtp
        | S::HandshakeStall
        | S::DribbledBanner
        | S::DribbledRecord
        | S::EmptyRecords
        | S::WarningAlerts
        | S::AlertThenDribble
        | S::AlertThenFlood
        | S::AlertFlood
        | S::EmptyRecordFlood
        | S::LatePlaintext => return Ok(None),
    };
    let mut chain: Vec<CertificateDer<'static>> = vec![leaf.cert.clone()];
    if let Some(extra) = extra {
        chain.push(extra.clone());
    }
    if scenario == S::OneByteFragments {
        // A long chain (the intermediate again and again) makes a handshake flight big
        // enough that, at six wire bytes per byte, a client's buffer limit is reached.
        chain.extend(std::iter::repeat_n(pki.intermediate.clone(), 40));
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder =
        ServerConfig::builder_with_provider(provider.clone()).with_protocol_versions(versions)?;
    let builder = if let Some(strict) = client_check(scenario, pki)? {
        // Postfix asks, lets any handshake finish, and judges the certificate afterwards.
        builder.with_client_cert_verifier(Arc::new(AskAnyCertificate::new(strict)))
    } else if scenario == S::ClientCertRequired {
        builder.with_client_cert_verifier(lab_root_verifier(pki)?)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder.with_single_cert(chain, leaf.key())?;
    Ok(Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))))
}

/// For `client-cert-after-handshake`: what judges the client's certificate once the
/// handshake is done (see [`super::ccert::refusal`]).
pub(crate) fn client_check(
    scenario: Scenario,
    pki: &Pki,
) -> Result<Option<Arc<dyn ClientCertVerifier>>, LabError> {
    if scenario == Scenario::ClientCertAfterHandshake {
        Ok(Some(lab_root_verifier(pki)?))
    } else {
        Ok(None)
    }
}

/// Requires a client certificate issued by the lab root.
fn lab_root_verifier(pki: &Pki) -> Result<Arc<dyn ClientCertVerifier>, LabError> {
    let mut roots = RootCertStore::empty();
    roots.add(pki.root.clone())?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build()?)
}
