//! The one place that turns rustls' errors into the typed `TlsFailure` diagnosis works from.
//! Matching is on rustls' public enums, never on its wording (the single exception, rustls'
//! untyped `read_tls` refusal, is marked below).

use std::io;

use rustls::{Error as E, PeerIncompatible as PI};

use crate::event::{Incompatible, ProtocolFault, TlsFailure};

/// Classify a rustls error.
pub fn classify(e: &E) -> TlsFailure {
    match e {
        E::AlertReceived(a) => TlsFailure::Alert {
            description: u8::from(*a),
        },
        E::InvalidCertificate(_) => TlsFailure::Certificate,
        E::PeerIncompatible(what) => TlsFailure::Incompatible {
            what: incompatible(what),
        },
        E::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => TlsFailure::Protocol {
            what: ProtocolFault::NotTls,
        },
        E::InvalidMessage(_) => TlsFailure::Protocol {
            what: ProtocolFault::InvalidMessage,
        },
        E::PeerMisbehaved(_) => TlsFailure::Protocol {
            what: ProtocolFault::Misbehaved,
        },
        E::InappropriateMessage { .. } | E::InappropriateHandshakeMessage { .. } => {
            TlsFailure::Protocol {
                what: ProtocolFault::UnexpectedMessage,
            }
        }
        _ => TlsFailure::Other,
    }
}

fn incompatible(what: &PI) -> Incompatible {
    match what {
        PI::ServerDoesNotSupportTls12Or13
        | PI::ServerTlsVersionIsDisabledByOurConfig
        | PI::SupportedVersionsExtensionRequired
        | PI::Tls12NotOffered
        | PI::Tls12NotOfferedOrEnabled
        | PI::Tls13RequiredForQuic => Incompatible::Version,
        PI::NoCipherSuitesInCommon => Incompatible::CipherSuites,
        PI::NoKxGroupsInCommon
        | PI::KeyShareExtensionRequired
        | PI::NamedGroupsExtensionRequired
        | PI::EcPointsExtensionRequired
        | PI::NoEcPointFormatsInCommon
        | PI::UncompressedEcPointsRequired => Incompatible::KeyExchangeGroups,
        PI::NoSignatureSchemesInCommon
        | PI::NoCertificateRequestSignatureSchemesInCommon
        | PI::SignatureAlgorithmsExtensionRequired => Incompatible::SignatureAlgorithms,
        _ => Incompatible::Other,
    }
}

/// rustls' `read_tls` refusing what the server sent (an I/O error the socket never raised).
pub fn read_tls(err: &io::Error) -> TlsFailure {
    // rustls gives no type for this refusal, only its fixed message: the one place that
    // reads rustls' wording.
    let what = if err.to_string() == "message buffer full" {
        ProtocolFault::HandshakeTooFragmented
    } else {
        ProtocolFault::ReadTls
    };
    TlsFailure::Protocol { what }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_errors_map_to_types() {
        assert_eq!(
            classify(&E::AlertReceived(rustls::AlertDescription::ProtocolVersion)),
            TlsFailure::Alert { description: 70 }
        );
        assert_eq!(
            classify(&E::PeerIncompatible(PI::NoKxGroupsInCommon)),
            TlsFailure::Incompatible {
                what: Incompatible::KeyExchangeGroups
            }
        );
        assert_eq!(
            classify(&E::PeerIncompatible(PI::ServerDoesNotSupportTls12Or13)),
            TlsFailure::Incompatible {
                what: Incompatible::Version
            }
        );
        assert_eq!(
            classify(&E::InvalidMessage(
                rustls::InvalidMessage::InvalidContentType
            )),
            TlsFailure::Protocol {
                what: ProtocolFault::NotTls
            }
        );
        let full = io::Error::other("message buffer full");
        assert_eq!(
            read_tls(&full),
            TlsFailure::Protocol {
                what: ProtocolFault::HandshakeTooFragmented
            }
        );
    }
}
