//! The facts the engine reports, in the order it saw them. Events are past tense, carry the
//! attempt id and the time since the attempt started, and serialise to JSON lines so a
//! recording can be replayed into the same `Session` the live run built.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::cert::{CertInfo, CertVerdict};
use crate::plan::Plan;
use crate::wire::{Dir, MessageInfo, RecordInfo};

/// The steps of an attempt, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Resolve,
    Connect,
    Banner,
    Ehlo,
    Starttls,
    TlsHandshake,
    Certificate,
    PostTls,
    Done,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Resolve => "resolve",
            Phase::Connect => "connect",
            Phase::Banner => "banner",
            Phase::Ehlo => "ehlo",
            Phase::Starttls => "starttls",
            Phase::TlsHandshake => "tls-handshake",
            Phase::Certificate => "certificate",
            Phase::PostTls => "post-tls",
            Phase::Done => "done",
        }
    }
}

/// One MX host with its preference and the addresses it resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxHost {
    pub preference: u16,
    pub exchange: String,
    pub addresses: Vec<std::net::IpAddr>,
    /// Why the addresses are empty, when they are.
    pub error: Option<String>,
}

#[cfg(test)]
impl MxHost {
    /// A resolved MX host, for the unit tests of what reads MX sets.
    pub(crate) fn at(preference: u16, exchange: &str, ips: &[&str]) -> MxHost {
        MxHost {
            preference,
            exchange: exchange.into(),
            addresses: ips.iter().map(|ip| ip.parse().unwrap()).collect(),
            error: None,
        }
    }
}

/// How a connection ended, as the tap saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionEnd {
    /// The server closed its side (TCP FIN, read returned 0 bytes).
    Fin,
    /// The connection was reset (TCP RST).
    Rst,
    /// We gave up waiting.
    Timeout,
    /// We closed it (after QUIT, or on cancel).
    ClosedByUs,
}

impl ConnectionEnd {
    /// How the connection ended, in the words of the reports and the diagnosis.
    pub fn words(self) -> &'static str {
        match self {
            ConnectionEnd::Fin => "closed by the server (FIN)",
            ConnectionEnd::Rst => "reset (RST)",
            ConnectionEnd::Timeout => "timed out waiting for the server",
            ConnectionEnd::ClosedByUs => "closed by us",
        }
    }
}

/// What kind of failure stopped the engine; diagnosis turns it into a cause code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Failure {
    DnsFailed {
        detail: String,
    },
    NoAddresses {
        detail: String,
        /// The domain publishes a null MX (RFC 7505): it accepts no mail at all.
        #[serde(default)]
        null_mx: bool,
        /// No MX record either (the address fallback found nothing).
        #[serde(default)]
        no_mx: bool,
    },
    ConnectRefused,
    ConnectTimeout,
    Unreachable {
        detail: String,
    },
    Timeout,
    PeerClosed,
    PeerReset,
    /// A reply we could not accept (banner 421, EHLO 5xx, STARTTLS 454, ...).
    BadReply {
        code: u16,
    },
    /// The first bytes were not an SMTP reply at all.
    NotSmtp {
        detail: String,
        /// The first bytes look like a TLS record: the port speaks TLS first.
        #[serde(default)]
        looks_like_tls: bool,
    },
    /// A reply went on past our limits (lines or bytes) and was cut.
    ReplyTooLong {
        lines: usize,
        bytes: usize,
    },
    StarttlsNotOffered,
    /// The server sent bytes after its 220 to STARTTLS, before the handshake.
    PlaintextInjection,
    /// rustls refused or failed the handshake; `error` is rustls' own words (for people
    /// only), `failure` the typed classification diagnosis works from.
    Tls {
        error: String,
        failure: TlsFailure,
    },
    /// A configuration problem found when building the attempt (unreadable file, bad name).
    Config {
        detail: String,
    },
    Io {
        detail: String,
    },
    Cancelled,
}

/// A TLS failure, typed once from `rustls::Error` (in `engine::tls_failure`); nothing
/// downstream reads rustls' wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TlsFailure {
    /// The server sent a fatal alert (its TLS AlertDescription code).
    Alert { description: u8 },
    /// We refused the server's certificate (the verdict says why).
    Certificate,
    /// Nothing in common of this kind.
    Incompatible { what: Incompatible },
    /// The server broke the protocol.
    Protocol { what: ProtocolFault },
    /// Anything rustls reports that none of the above covers.
    Other,
}

/// What client and server had nothing in common of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Incompatible {
    Version,
    CipherSuites,
    KeyExchangeGroups,
    SignatureAlgorithms,
    Other,
}

/// How the server broke the TLS protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProtocolFault {
    /// Its handshake came in so many tiny records that rustls' buffer filled.
    HandshakeTooFragmented,
    /// Bytes that are not TLS records at all.
    NotTls,
    /// A message at the wrong time.
    UnexpectedMessage,
    /// A message rustls could not decode.
    InvalidMessage,
    /// Something the protocol forbids (an unoffered suite, a downgrade, ...).
    Misbehaved,
    /// rustls refused what it read at the record layer.
    ReadTls,
}

impl TlsFailure {
    /// The alert's name, for an alert.
    pub fn alert_name(&self) -> Option<String> {
        match self {
            TlsFailure::Alert { description } => Some(crate::wire::names::alert_name(*description)),
            _ => None,
        }
    }
}

/// Which of our limits ended a wait on the server. Every wait on a server is bounded by a
/// deadline from when it started, never by silence alone: a server that dribbles one byte
/// just before each idle timeout would otherwise hold a probe for hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Limit {
    /// `--timeout` for one SMTP reply, counted from when we started waiting for it.
    Reply,
    /// `--timeout` for one TLS flight of the server, counted from our last TLS write.
    Flight,
    /// The whole attempt from the TCP connection on ([`ATTEMPT_TIMEOUTS`] × `--timeout`).
    Attempt,
    /// Reading the server's last words after a failed handshake: at most one second...
    DrainTime,
    /// ... and at most 64 KiB.
    DrainBytes,
}

/// How many `--timeout`s a whole attempt may take from its TCP connection to its end.
pub const ATTEMPT_TIMEOUTS: u32 = 3;

/// One limit of ours that was reached, with what the server did meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitHit {
    pub limit: Limit,
    /// What we were waiting for: "banner", "reply to EHLO", "ServerHello", ...
    pub waiting_for: String,
    /// How long the wait lasted, in microseconds.
    pub waited_us: u64,
    /// Bytes the server sent during the wait.
    pub bytes: u64,
    /// Complete TLS records among them (TLS waits only).
    #[serde(default)]
    pub records: u32,
    /// Of which empty (zero-length) records.
    #[serde(default)]
    pub empty_records: u32,
    /// Of which warning alerts.
    #[serde(default)]
    pub warning_alerts: u32,
}

/// What rustls negotiated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Negotiated {
    pub version: String,
    pub cipher_suite: String,
    pub group: Option<String>,
    /// "full", "full-with-hello-retry" or "resumed".
    pub handshake_kind: String,
    pub alpn: Option<String>,
}

/// How many TCP payload bytes an attempt reports in `TcpData` events, both ways together.
pub const MAX_TCP_BYTES: usize = 256 * 1024;

/// Raw bytes as base64 text in JSON (a recording stays readable and compact).
mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// One engine fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    AttemptStarted {
        plan: Box<Plan>,
    },
    PhaseStarted {
        phase: Phase,
    },
    MxResolved {
        domain: String,
        hosts: Vec<MxHost>,
    },
    /// No MX records: the domain itself is the mail host (RFC 5321 §5.1 implicit MX).
    ImplicitMx {
        domain: String,
        addresses: Vec<std::net::IpAddr>,
    },
    HostResolved {
        host: String,
        addresses: Vec<std::net::IpAddr>,
    },
    ConnectStarted {
        peer: SocketAddr,
        host: Option<String>,
    },
    Connected {
        local: SocketAddr,
        peer: SocketAddr,
        /// Wall-clock time of the connection, µs since the Unix epoch: with `at_us` it dates
        /// every event (a pcapng export needs real timestamps).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unix_us: Option<u64>,
    },
    /// Bytes that crossed the TCP connection (SMTP and TLS alike), as read or written, up
    /// to [`MAX_TCP_BYTES`] per attempt: what a pcapng export is built from. They are what
    /// the server sent and what we sent; no secret is among them.
    TcpData {
        dir: Dir,
        #[serde(with = "base64_bytes")]
        bytes: Vec<u8>,
    },
    /// One line we sent (without CRLF).
    SmtpSent {
        line: String,
        tls: bool,
    },
    /// One reply line received, already escaped for display (see `sanitize`).
    SmtpReceived {
        line: String,
        tls: bool,
        truncated: bool,
    },
    /// A reply was cut short: too many lines or too many bytes.
    SmtpReplyCut {
        lines: usize,
        bytes: usize,
    },
    /// Plaintext bytes arrived after the 220 to STARTTLS (never given to TLS).
    PlaintextInjected {
        bytes: usize,
        preview: String,
    },
    TlsRecord {
        dir: Dir,
        record: RecordInfo,
    },
    /// An earlier protected TLS 1.3 record, decrypted with the attempt's own secrets (which
    /// are never in an event): `record` is its index among the `TlsRecord`s of `dir`.
    TlsDecrypted {
        dir: Dir,
        record: usize,
        /// The real content type inside: "handshake", "alert", "application_data".
        content_type: String,
        messages: Vec<MessageInfo>,
    },
    CertificatesReceived {
        chain: Vec<CertInfo>,
        verdict: CertVerdict,
    },
    TlsEstablished {
        negotiated: Negotiated,
    },
    /// Our strict verification failed and the handshake was completed past it, to see what an
    /// opportunistic sender (which does not verify) gets. `failure`: how the TLS dialogue
    /// after the handshake ended (`None`: through EHLO to QUIT). The attempt itself still
    /// fails on the certificate: this fact is for the senders that do not verify.
    PastFailedVerification {
        failure: Option<Failure>,
    },
    ConnectionEnded {
        how: ConnectionEnd,
    },
    /// A limit of ours ended a wait on the server (see [`Limit`]).
    LimitReached {
        hit: LimitHit,
    },
    /// After its `220` to STARTTLS the server sent an SMTP reply where TLS was due: late
    /// enough to reach the TLS layer (bytes in the same read as the 220 are
    /// `PlaintextInjected` instead). `preview` is escaped.
    SmtpReplyInTls {
        preview: String,
        /// Time since the 220 to STARTTLS was read, in microseconds.
        after_220_us: u64,
    },
    /// Step mode, before the ClientHello goes out: the hello rustls has written and is
    /// about to send, parsed from those very bytes (what will be sent, not what the plan
    /// asked for). Followed by `Paused { before: "ClientHello" }`.
    ClientHelloPrepared {
        hello: Box<crate::wire::ClientHelloInfo>,
    },
    /// The engine paused before a step (step mode) and waits for `step`.
    Paused {
        before: String,
    },
    Note {
        text: String,
    },
    /// The server sent a CertificateRequest; `offered`: we had a certificate to send.
    ClientCertRequested {
        issuers: usize,
        offered: bool,
    },
    AttemptFinished {
        failure: Option<Failure>,
        phase: Phase,
    },
    /// A server-profile scan (or a legacy scanner probe) started for this attempt. Scans run
    /// after the attempt on their own connections, so every scan event's `at_us` repeats the
    /// attempt's last time; a scan's duration is in its profile. `scan` tells the scans of one
    /// attempt apart (a new one cancels the one running).
    ScanStarted {
        scan: u32,
        kind: crate::profile::kind::ScanKind,
    },
    /// How far the running scan got (kept as state, not stored with the attempt's events).
    ScanProgressed {
        scan: u32,
        progress: crate::profile::Progress,
    },
    /// The scan's result: which part was scanned and the profile found.
    ScanFinished {
        scan: u32,
        kind: crate::profile::kind::ScanKind,
        profile: Box<crate::profile::Profile>,
    },
    /// The scan was stopped before it finished (its connections are closed).
    ScanCancelled {
        scan: u32,
    },
    /// The validating resolver's DNSSEC state for one policy answer (MX, A, AAAA).
    DnssecChecked {
        answer: crate::policy::DnsAnswer,
    },
    /// The TLSA RRset of one MX host (`_PORT._tcp.HOST`).
    TlsaFound {
        lookup: crate::policy::TlsaLookup,
    },
    /// The `_mta-sts.DOMAIN` TXT RRset.
    MtaStsRecordFound {
        lookup: crate::policy::TxtLookup,
    },
    /// The MTA-STS policy file fetched (or not) over HTTPS.
    MtaStsPolicyFetched {
        fetch: crate::policy::PolicyFetch,
    },
    /// The `_smtp._tls.DOMAIN` TXT RRset (TLS-RPT).
    TlsRptFound {
        lookup: crate::policy::TxtLookup,
    },
}

/// An event of one attempt, `at_us` microseconds after the attempt started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeEvent {
    pub attempt: u32,
    pub at_us: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}
