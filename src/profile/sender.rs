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
    /// Why this sender does not get through although the server answered its hello: its
    /// library's rules (version, suite, signature, security level) or what the session saw
    /// after the hello (a client certificate required, a refusal, a broken flight, the
    /// certificate against this sender's verification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<String>,
    /// How this sender checks the certificate.
    #[serde(default)]
    pub verify: Verify,
    /// Whether the profile's hello was compared byte for byte with a capture of the real
    /// sender; when not, it is built from published lists and the report says so.
    #[serde(default)]
    pub captured: bool,
}

/// How a sender checks the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verify {
    /// Opportunistic: encrypts with any certificate (Postfix `may`, most of the internet).
    #[default]
    None,
    /// Mandatory PKIX: the name and a chain to a trusted CA (Postfix `secure`/`verify`).
    Pkix,
    /// DANE: the TLSA records, when the domain publishes usable ones (RFC 7672).
    Dane,
}
