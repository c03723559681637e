//! What the wire parsers tell the rest of tlsdive about one TLS record: plain, serialisable
//! summaries with IANA names resolved, so events, reports and recordings never carry rustls
//! types and can be replayed without the parser.

use serde::{Deserialize, Serialize};

/// Which way a record travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dir {
    /// From us (the client) to the server.
    #[serde(rename = "C")]
    Client,
    /// From the server to us.
    #[serde(rename = "S")]
    Server,
}

/// One TLS record as seen on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordInfo {
    /// Content type name: "handshake", "alert", "change_cipher_spec", "application_data",
    /// or "unknown(0xNN)".
    pub content_type: String,
    /// Record-layer version, e.g. "TLSv1.2" (TLS 1.3 records say TLSv1.2 here by design).
    pub version: String,
    /// Payload length in bytes (without the 5-byte header).
    pub length: usize,
    /// True when the payload is encrypted and could not be decoded.
    pub encrypted: bool,
    /// The messages decoded from this record (several handshake messages may share a record;
    /// a message split across records is reported in the record where it completes).
    pub messages: Vec<MessageInfo>,
    /// Set when a TLS 1.3 record was decrypted with the attempt's own traffic secrets: the
    /// real content type it carried ("handshake", "alert", "application_data"); `messages`
    /// are then what was inside.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decrypted: Option<String>,
    /// How many identical records came right after this one and were folded into it (a
    /// server flooding warning alerts or empty records shows as one row with a count).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub repeated: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One decoded message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessageInfo {
    ClientHello(ClientHelloInfo),
    ServerHello(ServerHelloInfo),
    HelloRetryRequest(ServerHelloInfo),
    /// Certificate message: how many certificates, and their DER sizes.
    Certificate {
        count: usize,
        sizes: Vec<usize>,
        /// TLS 1.3 only (the staple rides in the leaf's entry): an OCSP response was stapled.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ocsp_staple: Option<bool>,
    },
    /// TLS 1.3 EncryptedExtensions (decrypted): what the server answered to our extensions.
    EncryptedExtensions {
        alpn: Option<String>,
        /// The server acknowledged our server_name (an empty server_name extension).
        server_name_ack: bool,
        record_size_limit: Option<u16>,
        extensions: Vec<String>,
    },
    ServerKeyExchange {
        group: Option<String>,
        length: usize,
    },
    CertificateRequest {
        length: usize,
        /// The CA names the server accepts (certificate_authorities), as distinguished names.
        #[serde(default)]
        authorities: Vec<String>,
        #[serde(default)]
        signature_algorithms: Vec<String>,
    },
    CertificateVerify {
        algorithm: String,
        length: usize,
    },
    ServerHelloDone,
    ClientKeyExchange {
        length: usize,
    },
    Finished {
        length: usize,
    },
    NewSessionTicket {
        length: usize,
    },
    ChangeCipherSpec,
    Alert(AlertInfo),
    /// Encrypted payload (TLS 1.3 handshake after ServerHello, or application data).
    Encrypted {
        length: usize,
    },
    /// Decrypted application data: not decoded here (the SMTP transcript has the lines), but
    /// its first line is quoted so the row can be matched to the transcript.
    ApplicationData {
        length: usize,
        /// The first line carried, escaped and cut short.
        carries: Option<String>,
        /// How many lines (CRLF-ended) it carried.
        lines: usize,
    },
    /// A handshake message type we do not decode further.
    Handshake {
        name: String,
        length: usize,
    },
    /// Bytes that do not parse as what the record claims to be.
    Malformed {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientHelloInfo {
    /// legacy_version field, e.g. "TLSv1.2".
    pub legacy_version: String,
    /// From the supported_versions extension, or `[legacy_version]` without it.
    pub versions: Vec<String>,
    pub cipher_suites: Vec<String>,
    pub groups: Vec<String>,
    /// (group name, key length in bytes) for each key share offered.
    pub key_shares: Vec<(String, usize)>,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    pub signature_algorithms: Vec<String>,
    /// Extension names in the order sent.
    pub extensions: Vec<String>,
    /// Handshake message size in bytes (header included).
    pub size: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerHelloInfo {
    /// Negotiated version (supported_versions if present, else legacy_version).
    pub version: String,
    pub cipher_suite: String,
    /// The key_share group (TLS 1.3 ServerHello / HRR); None for TLS 1.2.
    pub group: Option<String>,
    pub extensions: Vec<String>,
    pub size: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertInfo {
    /// "warning", "fatal" or "unknown(N)".
    pub level: String,
    /// e.g. "handshake_failure", "unknown(N)".
    pub description: String,
    /// The numeric description, for diagnosis that needs the code.
    pub code: u8,
}
