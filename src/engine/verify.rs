//! A certificate verifier that always captures the chain and reports its verdict separately,
//! so an invalid certificate is shown, not hidden. It always lets the handshake go on (to see
//! what an opportunistic sender gets) and keeps the failure for the engine to act on.

use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

use crate::cert::{self, CertInfo, CertProblem, CertVerdict};
use crate::engine::Emitter;
use crate::event::EventKind;

#[derive(Debug)]
pub struct CapturingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    /// Why the chain did not verify, once it was seen (the handshake went on anyway).
    failed: Mutex<Option<Error>>,
    /// The name a sender would check; rustls hands us the SNI, which may differ.
    verify_name: ServerName<'static>,
    sni_sent: bool,
    emitter: Emitter,
}

impl CapturingVerifier {
    pub fn new(
        roots: RootCertStore,
        provider: Arc<CryptoProvider>,
        verify_name: ServerName<'static>,
        sni_sent: bool,
        emitter: Emitter,
    ) -> Result<CapturingVerifier, String> {
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| format!("cannot build the certificate verifier: {e}"))?;
        Ok(CapturingVerifier {
            inner,
            failed: Mutex::new(None),
            verify_name,
            sni_sent,
            emitter,
        })
    }

    /// The verification error, when the chain was seen and did not verify.
    pub fn failure(&self) -> Option<Error> {
        self.failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl ServerCertVerifier for CapturingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        sni: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let server_name = &self.verify_name;
        // Say which SNI was sent when it is not the name checked, so an SNI experiment reads
        // as what it is: another certificate, checked against the sender's name.
        // An IP address is never sent as SNI (RFC 6066 §3): rustls leaves it out.
        let sni_note = match (&self.sni_sent, sni) {
            (true, ServerName::DnsName(s)) if s.as_ref() != server_name.to_str() => {
                format!(" (SNI sent: {})", s.as_ref())
            }
            (true, ServerName::DnsName(_)) => String::new(),
            // An IP checked against itself: nothing to point out.
            (true, ServerName::IpAddress(_)) if matches!(server_name, ServerName::IpAddress(_)) => {
                String::new()
            }
            _ => " (no SNI sent)".to_string(),
        };
        let chain: Vec<CertInfo> = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| cert::describe(c))
            .collect();
        let name = server_name.to_str().into_owned();
        let result = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let verdict = match &result {
            Ok(_) => CertVerdict {
                ok: true,
                detail: format!("valid for {name}{sni_note}, issued by a trusted root"),
                name_checked: Some(name),
                problem: None,
            },
            Err(e) => {
                let mut v = verdict_for(e, &chain, &name);
                v.detail.push_str(&sni_note);
                v
            }
        };
        self.emitter
            .emit(EventKind::CertificatesReceived { chain, verdict });
        if let Err(e) = result {
            *self.failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Turn rustls' verification error into a problem a person can act on.
pub fn verdict_for(err: &Error, chain: &[CertInfo], name: &str) -> CertVerdict {
    let problem = match err {
        Error::InvalidCertificate(ce) => problem_for(ce, chain, name),
        other => CertProblem::Other {
            detail: other.to_string(),
        },
    };
    let detail = match &problem {
        CertProblem::Expired { not_after } => format!("the certificate expired on {not_after}"),
        CertProblem::NotYetValid { not_before } => {
            format!("the certificate is not valid before {not_before}")
        }
        CertProblem::NameMismatch { looked_for, names } => format!(
            "name mismatch: looked for {looked_for}, the certificate has {}",
            if names.is_empty() {
                "no subjectAltName".to_string()
            } else {
                format!("SANs [{}]", names.join(", "))
            }
        ),
        CertProblem::SelfSigned => "the certificate is self-signed".into(),
        CertProblem::ChainIncomplete { issuer } => format!(
            "the server sent only its own certificate and its issuer ({issuer}) is not a trusted root: the intermediate certificate is probably missing"
        ),
        CertProblem::UnknownIssuer { issuer } => {
            format!("the chain ends at an issuer we do not trust: {issuer}")
        }
        CertProblem::Revoked => "the certificate has been revoked".into(),
        CertProblem::BadSignature => "a signature in the chain does not verify".into(),
        CertProblem::Other { detail } => format!("verification failed: {detail}"),
    };
    CertVerdict {
        ok: false,
        name_checked: Some(name.to_string()),
        problem: Some(problem),
        detail,
    }
}

fn problem_for(ce: &CertificateError, chain: &[CertInfo], name: &str) -> CertProblem {
    let leaf_not_after = || {
        chain
            .first()
            .map(|c| c.not_after.clone())
            .unwrap_or_default()
    };
    match ce {
        CertificateError::Expired => CertProblem::Expired {
            not_after: leaf_not_after(),
        },
        CertificateError::ExpiredContext { not_after, .. } => CertProblem::Expired {
            not_after: cert::rfc3339(not_after.as_secs() as i64),
        },
        CertificateError::NotValidYet => CertProblem::NotYetValid {
            not_before: chain
                .first()
                .map(|c| c.not_before.clone())
                .unwrap_or_default(),
        },
        CertificateError::NotValidYetContext { not_before, .. } => CertProblem::NotYetValid {
            not_before: cert::rfc3339(not_before.as_secs() as i64),
        },
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            CertProblem::NameMismatch {
                looked_for: name.to_string(),
                names: chain.first().map(|c| c.sans.clone()).unwrap_or_default(),
            }
        }
        CertificateError::UnknownIssuer => match chain {
            [leaf] if leaf.self_signed => CertProblem::SelfSigned,
            [leaf] => CertProblem::ChainIncomplete {
                issuer: leaf.issuer.clone(),
            },
            [.., top] => CertProblem::UnknownIssuer {
                issuer: if top.self_signed {
                    top.subject.clone()
                } else {
                    top.issuer.clone()
                },
            },
            [] => CertProblem::Other {
                detail: "no certificate".into(),
            },
        },
        CertificateError::Revoked => CertProblem::Revoked,
        CertificateError::BadSignature => CertProblem::BadSignature,
        other => CertProblem::Other {
            detail: format!("{other:?}"),
        },
    }
}
