//! Certificates as a mail engineer reads them: subject, issuer, names, validity, key and
//! fingerprint decoded from DER with x509-parser, plus the verification verdict in words.
//! Pure: no I/O, no clock (the caller passes "now").

use serde::{Deserialize, Serialize};

/// One certificate of the chain the server sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// DNS names and IP addresses from subjectAltName.
    pub sans: Vec<String>,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
    /// e.g. "RSA 2048", "ECDSA P-256", "Ed25519".
    pub key: String,
    pub signature_algorithm: String,
    /// Hex SHA-256 of the DER, colon-separated as openssl prints it.
    pub sha256: String,
    pub serial: String,
    pub is_ca: bool,
    pub self_signed: bool,
    pub der_len: usize,
}

/// Why verification failed, when it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum CertProblem {
    Expired { not_after: String },
    NotYetValid { not_before: String },
    NameMismatch { looked_for: String, names: Vec<String> },
    SelfSigned,
    /// The chain does not lead to a trusted root, and the leaf's issuer is not a root we know:
    /// most often the server did not send its intermediate.
    ChainIncomplete { issuer: String },
    UnknownIssuer { issuer: String },
    Revoked,
    BadSignature,
    Other { detail: String },
}

/// The verifier's verdict, kept apart from the handshake result so that a bad certificate is
/// shown, not hidden, even when the user chose to continue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertVerdict {
    pub ok: bool,
    /// The name the certificate was checked against.
    pub name_checked: Option<String>,
    pub problem: Option<CertProblem>,
    /// One line in plain words.
    pub detail: String,
}
