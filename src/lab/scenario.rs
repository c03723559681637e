//! The lab's scenarios: one known fault per server, with its stable name, a one-line
//! description for `tlsdive lab`, and the cause code tlsdive should diagnose against it.
//!
//! The table in [`Scenario::ALL`] is the single source of truth: `name`, `describe` and
//! `expected_cause` are exhaustive matches, so adding a variant without describing it does
//! not compile. Cause codes are the stable strings listed in `DESIGN.md`.

/// One lab server's behaviour: healthy, or with exactly one known fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// TLS 1.2 and 1.3, full chain (leaf + intermediate), a valid certificate.
    Healthy,
    /// Only TLS 1.2 on the server.
    Tls12Only,
    /// Only TLS 1.3 on the server.
    Tls13Only,
    /// EHLO does not offer STARTTLS; the command is answered `502 5.5.1`.
    NoStarttls,
    /// STARTTLS answered `454 4.7.0`.
    Starttls454,
    /// `220` to STARTTLS, then FIN without reading anything.
    CloseAfterStarttls,
    /// `220` to STARTTLS, reads the ClientHello record, then FIN.
    CloseAfterClientHello,
    /// `220` to STARTTLS, reads the ClientHello record, then RST.
    ResetAfterClientHello,
    /// Answers the ClientHello with a fatal `internal_error` alert.
    FatalAlert,
    /// Leaf certificate expired (2020).
    ExpiredCert,
    /// Leaf certificate not valid until the future.
    NotYetValidCert,
    /// Leaf certificate only names `wrong.example.net`.
    WrongNameCert,
    /// Leaf certificate is self-signed.
    SelfSignedCert,
    /// Leaf certificate issued by a CA that clients are not given.
    UntrustedCert,
    /// Leaf issued by the lab intermediate, but the server sends the leaf only.
    ChainIncomplete,
    /// The server requires a client certificate from the lab CA.
    ClientCertRequired,
    /// Accepts the connection but never sends a banner.
    SlowBanner,
    /// Banner is `421 4.3.2`, then the server closes.
    Banner421,
    /// EHLO and HELO are answered `550 5.7.1`.
    EhloRejected,
    /// Banner carries ANSI escapes and control bytes; the rest is normal.
    HostileBytes,
    /// EHLO reply with a 1 MB line followed by 100,000 continuation lines.
    HugeReply,
    /// `220` to STARTTLS followed by an injected plaintext `250-INJECTED` line in the same write.
    PlaintextInjection,
    /// TLS from the first byte (port-465 style), then the SMTP dialogue over TLS.
    ImplicitTls,
    /// Greets like an SSH server instead of SMTP.
    NotSmtp,
    /// `220` to STARTTLS, reads the ClientHello, then never answers.
    HandshakeStall,
    /// The TLS handshake succeeds, then the server closes before answering anything.
    PostTlsClose,
    /// Serves one connection at a time; a second concurrent one gets `421 4.7.0`.
    RateLimited,
    /// Banner is `554 5.7.1` (a permanent refusal of this client), then the server closes.
    Banner554,
    /// Postfix with `smtpd_tls_req_ccert = yes`: asks for a client certificate, lets the
    /// handshake finish with any certificate or none, then answers the first command over
    /// TLS with `421 4.7.1` unless the certificate is from the lab root (checked against a
    /// real Postfix in tests/postfix_real.rs).
    ClientCertAfterHandshake,
    /// Answers every ClientHello, of any version, with a fatal `protocol_version` alert.
    RefusesEveryVersion,
    /// Sends a long banner one byte every [`super::hostile::DRIBBLE`]: never silent, never done.
    DribbledBanner,
    /// Answers every command (and greets) only after [`super::hostile::SLOW_REPLY`].
    SlowReplies,
    /// Answers the ClientHello with a 16 KiB handshake record dribbled one byte at a time.
    DribbledRecord,
    /// Answers the ClientHello with an endless series of empty records.
    EmptyRecords,
    /// Answers the ClientHello with an endless series of warning alerts.
    WarningAlerts,
    /// A fatal alert, then one byte every [`super::hostile::DRIBBLE_AFTER_ALERT`], forever.
    AlertThenDribble,
    /// A fatal alert, then a flood of bytes.
    AlertThenFlood,
    /// TLS 1.2 whose handshake records are split into records of one byte each.
    OneByteFragments,
    /// `220` to STARTTLS, then, [`super::hostile::LATE`] later, a plaintext SMTP reply.
    LatePlaintext,
    /// Greets every second connection with `421 4.7.0` and closes it.
    RefuseEverySecond,
    /// A path that silently drops ClientHellos over [`crate::lab::LARGE_HELLO`] bytes (an
    /// MTU black hole or a middlebox that cannot reassemble): larger hellos get no answer,
    /// smaller ones reach a healthy TLS 1.2/1.3 server.
    DropsLargeHello,
    /// A load balancer with one bad backend: every third connection (the 3rd, 6th, ...)
    /// gets the expired certificate, the others the healthy chain.
    EveryThirdExpired,
    /// Answers the ClientHello with [`super::hostile::FLOOD`] warning alerts at once, then
    /// closes: a client that keeps every record keeps thousands per attempt.
    AlertFlood,
    /// Answers the ClientHello with [`super::hostile::FLOOD`] empty records at once, then
    /// closes.
    EmptyRecordFlood,
}

impl Scenario {
    /// Every scenario, in the order `tlsdive lab` lists them (and `serve_all` assigns ports).
    pub const ALL: &'static [Scenario] = &[
        Scenario::Healthy,
        Scenario::Tls12Only,
        Scenario::Tls13Only,
        Scenario::NoStarttls,
        Scenario::Starttls454,
        Scenario::CloseAfterStarttls,
        Scenario::CloseAfterClientHello,
        Scenario::ResetAfterClientHello,
        Scenario::FatalAlert,
        Scenario::ExpiredCert,
        Scenario::NotYetValidCert,
        Scenario::WrongNameCert,
        Scenario::SelfSignedCert,
        Scenario::UntrustedCert,
        Scenario::ChainIncomplete,
        Scenario::ClientCertRequired,
        Scenario::SlowBanner,
        Scenario::Banner421,
        Scenario::EhloRejected,
        Scenario::HostileBytes,
        Scenario::HugeReply,
        Scenario::PlaintextInjection,
        Scenario::ImplicitTls,
        Scenario::NotSmtp,
        Scenario::HandshakeStall,
        Scenario::PostTlsClose,
        Scenario::RateLimited,
        Scenario::Banner554,
        Scenario::ClientCertAfterHandshake,
        Scenario::RefusesEveryVersion,
        Scenario::DribbledBanner,
        Scenario::SlowReplies,
        Scenario::DribbledRecord,
        Scenario::EmptyRecords,
        Scenario::WarningAlerts,
        Scenario::AlertThenDribble,
        Scenario::AlertThenFlood,
        Scenario::OneByteFragments,
        Scenario::LatePlaintext,
        Scenario::RefuseEverySecond,
        Scenario::DropsLargeHello,
        Scenario::EveryThirdExpired,
        Scenario::AlertFlood,
        Scenario::EmptyRecordFlood,
    ];

    /// Stable kebab-case name, e.g. `close-after-client-hello`.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Healthy => "healthy",
            Scenario::Tls12Only => "tls12-only",
            Scenario::Tls13Only => "tls13-only",
            Scenario::NoStarttls => "no-starttls",
            Scenario::Starttls454 => "starttls-454",
            Scenario::CloseAfterStarttls => "close-after-starttls",
            Scenario::CloseAfterClientHello => "close-after-client-hello",
            Scenario::ResetAfterClientHello => "reset-after-client-hello",
            Scenario::FatalAlert => "fatal-alert",
            Scenario::ExpiredCert => "expired-cert",
            Scenario::NotYetValidCert => "not-yet-valid-cert",
            Scenario::WrongNameCert => "wrong-name-cert",
            Scenario::SelfSignedCert => "self-signed-cert",
            Scenario::UntrustedCert => "untrusted-cert",
            Scenario::ChainIncomplete => "chain-incomplete",
            Scenario::ClientCertRequired => "client-cert-required",
            Scenario::SlowBanner => "slow-banner",
            Scenario::Banner421 => "banner-421",
            Scenario::EhloRejected => "ehlo-rejected",
            Scenario::HostileBytes => "hostile-bytes",
            Scenario::HugeReply => "huge-reply",
            Scenario::PlaintextInjection => "plaintext-injection",
            Scenario::ImplicitTls => "implicit-tls",
            Scenario::NotSmtp => "not-smtp",
            Scenario::HandshakeStall => "handshake-stall",
            Scenario::PostTlsClose => "post-tls-close",
            Scenario::RateLimited => "rate-limited",
            Scenario::Banner554 => "banner-554",
            Scenario::ClientCertAfterHandshake => "client-cert-after-handshake",
            Scenario::RefusesEveryVersion => "refuses-every-version",
            Scenario::DribbledBanner => "dribbled-banner",
            Scenario::SlowReplies => "slow-replies",
            Scenario::DribbledRecord => "dribbled-record",
            Scenario::EmptyRecords => "empty-records",
            Scenario::WarningAlerts => "warning-alerts",
            Scenario::AlertThenDribble => "alert-then-dribble",
            Scenario::AlertThenFlood => "alert-then-flood",
            Scenario::OneByteFragments => "one-byte-fragments",
            Scenario::LatePlaintext => "late-plaintext",
            Scenario::RefuseEverySecond => "refuse-every-second",
            Scenario::DropsLargeHello => "drops-large-hello",
            Scenario::EveryThirdExpired => "every-third-expired",
            Scenario::AlertFlood => "alert-flood",
            Scenario::EmptyRecordFlood => "empty-record-flood",
        }
    }

    /// The scenario with this kebab-case name (exact match).
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.iter().copied().find(|s| s.name() == name)
    }

    /// One line for `tlsdive lab`: what is wrong with this server.
    pub fn describe(self) -> &'static str {
        match self {
            Scenario::Healthy => "nothing: TLS 1.2 and 1.3, full chain, valid certificate",
            Scenario::Tls12Only => "speaks only TLS 1.2",
            Scenario::Tls13Only => "speaks only TLS 1.3",
            Scenario::NoStarttls => "does not offer STARTTLS and answers it 502 5.5.1",
            Scenario::Starttls454 => "answers STARTTLS 454 4.7.0 (TLS not available)",
            Scenario::CloseAfterStarttls => "says 220 to STARTTLS, then closes (FIN)",
            Scenario::CloseAfterClientHello => "reads the ClientHello, then closes (FIN)",
            Scenario::ResetAfterClientHello => "reads the ClientHello, then resets (RST)",
            Scenario::FatalAlert => "answers the ClientHello with a fatal internal_error alert",
            Scenario::ExpiredCert => "certificate expired in 2020",
            Scenario::NotYetValidCert => "certificate is not valid yet",
            Scenario::WrongNameCert => "certificate is only for wrong.example.net",
            Scenario::SelfSignedCert => "certificate is self-signed",
            Scenario::UntrustedCert => "certificate chain leads to a private CA nobody trusts",
            Scenario::ChainIncomplete => "sends the leaf without its intermediate certificate",
            Scenario::ClientCertRequired => "requires a client certificate from the lab CA",
            Scenario::SlowBanner => "accepts the connection but never sends a banner",
            Scenario::Banner421 => "greets with 421 4.3.2 and closes",
            Scenario::EhloRejected => "rejects EHLO and HELO with 550 5.7.1",
            Scenario::HostileBytes => "banner contains ANSI escapes and control bytes",
            Scenario::HugeReply => "EHLO reply with a 1 MB line and 100,000 continuation lines",
            Scenario::PlaintextInjection => "injects a plaintext line after the 220 to STARTTLS",
            Scenario::ImplicitTls => "TLS from the first byte (port-465 style)",
            Scenario::NotSmtp => "greets like an SSH server, not SMTP (a port mix-up)",
            Scenario::HandshakeStall => "reads the ClientHello, then never answers",
            Scenario::PostTlsClose => "completes the handshake, then closes without a reply",
            Scenario::RateLimited => {
                "one connection at a time: a second concurrent one gets 421 4.7.0 (rate limit)"
            }
            Scenario::Banner554 => "greets with 554 5.7.1 (this client is refused) and closes",
            Scenario::ClientCertAfterHandshake => {
                "asks for a client certificate, finishes the handshake with any or none, then says 421 unless it trusts it (Postfix smtpd_tls_req_ccert)"
            }
            Scenario::RefusesEveryVersion => {
                "answers every ClientHello, SSL 3.0 to TLS 1.3, with a fatal protocol_version alert"
            }
            Scenario::DribbledBanner => "sends a 2 KB banner one byte every 400 ms",
            Scenario::SlowReplies => {
                "answers every command after 1 s (each reply in time, the whole dialogue slow)"
            }
            Scenario::DribbledRecord => {
                "answers the ClientHello with a 16 KB record sent one byte every 400 ms"
            }
            Scenario::EmptyRecords => {
                "answers the ClientHello with an empty record every 400 ms, forever"
            }
            Scenario::WarningAlerts => {
                "answers the ClientHello with a warning alert every 400 ms, forever"
            }
            Scenario::AlertThenDribble => {
                "fatal alert, then a byte every 200 ms (never silent for 300 ms)"
            }
            Scenario::AlertThenFlood => "fatal alert, then bytes as fast as the client reads them",
            Scenario::AlertFlood => {
                "answers the ClientHello with 3,000 warning alerts, then closes"
            }
            Scenario::EmptyRecordFlood => {
                "answers the ClientHello with 3,000 empty records, then closes"
            }
            Scenario::OneByteFragments => {
                "TLS 1.2 with every handshake record split into 1-byte records"
            }
            Scenario::LatePlaintext => "sends an SMTP reply 30 ms after its 220 to STARTTLS",
            Scenario::RefuseEverySecond => "answers every second connection 421 4.7.0 and closes",
            Scenario::DropsLargeHello => {
                "silently drops ClientHellos over 1,200 bytes (a post-quantum key share)"
            }
            Scenario::EveryThirdExpired => {
                "one backend in three serves an expired certificate (every third connection)"
            }
        }
    }

    /// The cause code tlsdive should diagnose against this server (see `DESIGN.md`),
    /// for a default probe: STARTTLS (or implicit TLS for [`Scenario::implicit_tls`]),
    /// the lab CA as the only root, no client certificate.
    pub fn expected_cause(self) -> &'static str {
        match self {
            Scenario::Healthy
            | Scenario::Tls12Only
            | Scenario::Tls13Only
            | Scenario::HostileBytes
            | Scenario::ImplicitTls => "ok",
            Scenario::NoStarttls => "starttls-not-offered",
            Scenario::Starttls454 => "starttls-rejected",
            Scenario::CloseAfterStarttls | Scenario::CloseAfterClientHello => {
                "peer-closed-during-handshake"
            }
            Scenario::ResetAfterClientHello => "peer-reset-during-handshake",
            Scenario::FatalAlert => "tls-alert",
            Scenario::ExpiredCert => "cert-expired",
            Scenario::NotYetValidCert => "cert-not-yet-valid",
            Scenario::WrongNameCert => "cert-name-mismatch",
            Scenario::SelfSignedCert => "cert-self-signed",
            Scenario::UntrustedCert => "cert-untrusted",
            Scenario::ChainIncomplete => "cert-chain-incomplete",
            Scenario::ClientCertRequired => "client-cert-required",
            Scenario::SlowBanner => "banner-timeout",
            Scenario::Banner421 | Scenario::Banner554 => "service-unavailable",
            Scenario::ClientCertAfterHandshake => "client-cert-required",
            Scenario::RefusesEveryVersion => "no-shared-version",
            Scenario::EhloRejected => "ehlo-rejected",
            Scenario::HugeReply => "reply-too-long",
            Scenario::NotSmtp => "not-smtp",
            Scenario::PlaintextInjection => "plaintext-injection",
            Scenario::HandshakeStall => "handshake-timeout",
            Scenario::PostTlsClose => "post-tls-failure",
            Scenario::RateLimited | Scenario::SlowReplies | Scenario::RefuseEverySecond => "ok",
            // A fresh server's first connection reaches a good backend.
            Scenario::EveryThirdExpired => "ok",
            Scenario::DribbledBanner => "banner-timeout",
            Scenario::DribbledRecord | Scenario::WarningAlerts => "handshake-timeout",
            // rustls refuses an empty record before the handshake at once.
            // rustls gives up after a few warning alerts in a row.
            Scenario::EmptyRecords | Scenario::EmptyRecordFlood | Scenario::AlertFlood => {
                "tls-protocol-error"
            }
            Scenario::AlertThenDribble | Scenario::AlertThenFlood => "tls-alert",
            Scenario::OneByteFragments => "tls-protocol-error",
            Scenario::LatePlaintext => "not-tls",
            // rustls sends an X25519MLKEM768 share: its hello is about 1,500 bytes.
            Scenario::DropsLargeHello => "handshake-timeout",
        }
    }

    /// Whether the server speaks TLS from the first byte instead of STARTTLS.
    pub fn implicit_tls(self) -> bool {
        matches!(self, Scenario::ImplicitTls)
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an unknown scenario name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown lab scenario {0:?} (see `tlsdive lab` for the list)")]
pub struct UnknownScenario(pub String);

impl std::str::FromStr for Scenario {
    type Err = UnknownScenario;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Scenario::from_name(name).ok_or_else(|| UnknownScenario(name.to_string()))
    }
}

/// Serialized as its kebab-case [`Scenario::name`], so recordings and reports stay stable.
impl serde::Serialize for Scenario {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Scenario {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Scenario::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(UnknownScenario(name.into_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for &s in Scenario::ALL {
            let name = s.name();
            assert!(seen.insert(name), "duplicate name {name}");
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{name} is not kebab-case"
            );
            assert_eq!(Scenario::from_name(name), Some(s));
            assert!(!s.describe().is_empty());
        }
        assert_eq!(Scenario::from_name("nope"), None);
        assert_eq!("fatal-alert".parse(), Ok(Scenario::FatalAlert));
        assert!("Fatal-Alert".parse::<Scenario>().is_err());
    }

    #[test]
    fn serde_uses_the_kebab_case_name() {
        let json = serde_json::to_string(&Scenario::Starttls454).unwrap();
        assert_eq!(json, r#""starttls-454""#);
        let back: Scenario = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Scenario::Starttls454);
        assert!(serde_json::from_str::<Scenario>(r#""nope""#).is_err());
    }

    #[test]
    fn expected_causes_are_design_codes() {
        const CODES: &[&str] = &[
            "ok",
            "dns-failed",
            "no-mx",
            "connect-refused",
            "connect-timeout",
            "unreachable",
            "banner-timeout",
            "not-smtp",
            "service-unavailable",
            "ehlo-rejected",
            "starttls-not-offered",
            "starttls-rejected",
            "plaintext-injection",
            "peer-closed-during-handshake",
            "peer-reset-during-handshake",
            "handshake-timeout",
            "tls-alert",
            "no-shared-version",
            "no-shared-cipher",
            "no-shared-group",
            "client-cert-required",
            "cert-expired",
            "cert-not-yet-valid",
            "cert-name-mismatch",
            "cert-untrusted",
            "cert-self-signed",
            "cert-chain-incomplete",
            "post-tls-failure",
            "timeout",
            "internal-error",
            "reply-too-long",
            "connection-closed",
            "not-tls",
            "tls-protocol-error",
            "cancelled",
        ];
        for &s in Scenario::ALL {
            assert!(CODES.contains(&s.expected_cause()), "{s}");
        }
    }
}
