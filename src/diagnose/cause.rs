//! The stable cause codes (DESIGN.md "Phases and cause codes"), as one enum: serialised as
//! the kebab-case codes, so the JSON, the text report, the TUI and the tests share one
//! vocabulary the compiler checks. Extend, never rename.

use serde::{Deserialize, Serialize};

macro_rules! causes {
    ($($variant:ident => $code:literal,)*) => {
        /// Why an attempt (or, for the case conclusions, a session) ended as it did.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Cause {
            $(#[serde(rename = $code)] $variant,)*
        }

        impl Cause {
            /// Every cause, in the order DESIGN.md lists them.
            pub const ALL: &'static [Cause] = &[$(Cause::$variant,)*];

            /// The stable kebab-case code.
            pub fn code(self) -> &'static str {
                match self {
                    $(Cause::$variant => $code,)*
                }
            }

            /// The cause for a stable code.
            pub fn from_code(code: &str) -> Option<Cause> {
                match code {
                    $($code => Some(Cause::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

causes! {
    Ok => "ok",
    Running => "running",
    DnsFailed => "dns-failed",
    NoMx => "no-mx",
    ConnectRefused => "connect-refused",
    ConnectTimeout => "connect-timeout",
    Unreachable => "unreachable",
    BannerTimeout => "banner-timeout",
    NotSmtp => "not-smtp",
    ServiceUnavailable => "service-unavailable",
    EhloRejected => "ehlo-rejected",
    StarttlsNotOffered => "starttls-not-offered",
    StarttlsRejected => "starttls-rejected",
    PlaintextInjection => "plaintext-injection",
    PeerClosedDuringHandshake => "peer-closed-during-handshake",
    PeerResetDuringHandshake => "peer-reset-during-handshake",
    HandshakeTimeout => "handshake-timeout",
    TlsAlert => "tls-alert",
    NoSharedVersion => "no-shared-version",
    NoSharedCipher => "no-shared-cipher",
    NoSharedGroup => "no-shared-group",
    NoSharedParameters => "no-shared-parameters",
    ClientCertRequired => "client-cert-required",
    CertExpired => "cert-expired",
    CertNotYetValid => "cert-not-yet-valid",
    CertNameMismatch => "cert-name-mismatch",
    CertUntrusted => "cert-untrusted",
    CertSelfSigned => "cert-self-signed",
    CertChainIncomplete => "cert-chain-incomplete",
    PostTlsFailure => "post-tls-failure",
    Timeout => "timeout",
    InternalError => "internal-error",
    ReplyTooLong => "reply-too-long",
    ConnectionClosed => "connection-closed",
    NotTls => "not-tls",
    TlsProtocolError => "tls-protocol-error",
    Cancelled => "cancelled",
    HelloSizeIntolerant => "hello-size-intolerant",
    ServerDropsEveryHello => "server-drops-every-hello",
    ServerRefusesEveryVersion => "server-refuses-every-version",
    Intermittent => "intermittent",
    DaneMismatch => "dane-mismatch",
    DaneUnusable => "dane-unusable",
    DnssecBogus => "dnssec-bogus",
    DnssecIndeterminate => "dnssec-indeterminate",
    MtaStsMxMismatch => "mta-sts-mx-mismatch",
    MtaStsPolicyUnavailable => "mta-sts-policy-unavailable",
    MtaStsCertInvalid => "mta-sts-cert-invalid",
}

impl Cause {
    /// A certificate problem (verification failed, or would have).
    pub fn is_certificate(self) -> bool {
        matches!(
            self,
            Cause::CertExpired
                | Cause::CertNotYetValid
                | Cause::CertNameMismatch
                | Cause::CertUntrusted
                | Cause::CertSelfSigned
                | Cause::CertChainIncomplete
        )
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_serialise_as_the_code() {
        for c in Cause::ALL {
            assert_eq!(Cause::from_code(c.code()), Some(*c));
            assert_eq!(
                serde_json::to_string(c).unwrap(),
                format!("\"{}\"", c.code())
            );
        }
    }

    /// The README lists every code a user can meet; the compiler checks this enum, this test
    /// checks the README against it.
    #[test]
    fn the_readme_lists_every_code() {
        let readme = include_str!("../../README.md");
        for c in Cause::ALL {
            if *c == Cause::Running {
                continue;
            }
            assert!(
                readme.contains(&format!("`{}`", c.code())),
                "README does not list `{}`",
                c.code()
            );
        }
    }
}
