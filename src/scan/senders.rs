//! Sender profiles: the ClientHello that each real sending MTA sends by default (Postfix on
//! OpenSSL 3.0 and 3.5, Exim on GnuTLS, Exchange Online, Gmail, tlsdive's own rustls), sent
//! by the scanner over the same SMTP dialogue, so the report can say which senders this
//! server accepts — "rustls cannot agree" is not the question during a bounce; "can our
//! Postfix, or the partner's Exchange Online?" is.
//!
//! Files: `profile` (the data and its checks; the profiles themselves are
//! `assets/senders/*.toml`), `build` (the bytes), `ja4` (fingerprint and field split),
//! `run` (one connection per profile, and the verdict).

pub mod build;
pub mod ja4;
pub mod profile;
pub mod run;

use serde::{Deserialize, Serialize};

pub use profile::{ProfileError, SenderProfile, builtin, load_file};
pub use run::{run_senders, verdict};

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
