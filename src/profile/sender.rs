//! What one sender profile (a real MTA's default ClientHello, `scan --senders`) got from the
//! server: plain data in the profile, read by the report, the TUI and the case.

use serde::{Deserialize, Serialize};

/// What one sender profile got from the server. Plain data, read by the report, the TUI and
/// (later) the case over the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderResult {
    /// The profile's name (`postfix`, `exchange-online`, ...).
    pub name: String,
    /// Whether this sender would go on with the handshake: a ServerHello (or a
    /// HelloRetryRequest for a group it supports) choosing a version and suite it offered.
    pub accepted: bool,
    /// The version the server chose ("TLSv1.2"), when it answered with a hello.
    pub version: Option<String>,
    /// The suite the server chose (IANA name).
    pub cipher_suite: Option<String>,
    /// The key-exchange group (TLS 1.3 key share, TLS 1.2 ServerKeyExchange curve).
    pub group: Option<String>,
    /// The server's answer in words: `ServerHello TLSv1.3 ...`, `alert handshake_failure`,
    /// `FIN`, `RST`, `timeout`.
    pub answer: String,
    /// Size of the ClientHello sent, in bytes (records included): what size-intolerant
    /// paths react to.
    #[serde(default)]
    pub hello_bytes: usize,
}
