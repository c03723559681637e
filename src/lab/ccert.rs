//! Postfix's way with client certificates (`smtpd_tls_ask_ccert`, `smtpd_tls_req_ccert`):
//! ask for one, let the handshake finish whatever the client sends (or not), and judge the
//! certificate afterwards, refusing the next command with 421 when it is missing or untrusted.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use rustls_pki_types::{CertificateDer, UnixTime};

use super::smtp;

/// Asks for a client certificate with the strict verifier's CA names, accepts any (or none)
/// in the handshake, as Postfix's OpenSSL verify callback does, but still checks the
/// client's CertificateVerify signature.
#[derive(Debug)]
pub(crate) struct AskAnyCertificate {
    strict: Arc<dyn ClientCertVerifier>,
}

impl AskAnyCertificate {
    pub(crate) fn new(strict: Arc<dyn ClientCertVerifier>) -> AskAnyCertificate {
        AskAnyCertificate { strict }
    }
}

impl ClientCertVerifier for AskAnyCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.strict.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        // Judged after the handshake by `refusal`, like Postfix does.
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.strict.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.strict.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.strict.supported_verify_schemes()
    }
}

/// What Postfix answers to the first command after the handshake: `None` when the client
/// presented a certificate `strict` trusts, else its 421 (the words of Postfix 3.7's smtpd).
pub(crate) fn refusal(
    strict: &dyn ClientCertVerifier,
    presented: Option<&[CertificateDer<'_>]>,
) -> Option<&'static [u8]> {
    match presented.and_then(<[_]>::split_first) {
        None => Some(smtp::NO_CLIENT_CERT),
        Some((leaf, rest)) => strict
            .verify_client_cert(leaf, rest, UnixTime::now())
            .err()
            .map(|_| smtp::CLIENT_CERT_NOT_TRUSTED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::{Pki, Scenario};

    #[test]
    fn refusal_is_postfixs_reply_for_none_and_for_an_untrusted_certificate() {
        let pki = Pki::generate().unwrap();
        let check = crate::lab::tls::client_check(Scenario::ClientCertAfterHandshake, &pki)
            .unwrap()
            .expect("the scenario judges client certificates");
        assert_eq!(refusal(check.as_ref(), None), Some(smtp::NO_CLIENT_CERT));
        assert_eq!(
            refusal(check.as_ref(), Some(&[])),
            Some(smtp::NO_CLIENT_CERT)
        );
        let trusted = [pki.client.cert.clone()];
        assert_eq!(refusal(check.as_ref(), Some(&trusted)), None);
        // Self-signed: no path to the lab root.
        let untrusted = [pki.self_signed.cert.clone()];
        assert_eq!(
            refusal(check.as_ref(), Some(&untrusted)),
            Some(smtp::CLIENT_CERT_NOT_TRUSTED)
        );
    }
}
