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

impl Cause {
    /// The fix for a cause the domain's published policy decides (DANE, DNSSEC, MTA-STS):
    /// the handshake itself may work, so the attempt's own diagnosis has nothing to
    /// suggest. One wording for the probe, the report and both triages.
    pub fn policy_fix(self) -> Option<&'static str> {
        Some(match self {
            Cause::DaneMismatch => {
                "publish a TLSA record for the certificate the server sends now (keep the old and the new record side by side during a key rotation)"
            }
            Cause::DaneUnusable => {
                "publish a DANE-EE (3 1 1) or DANE-TA (2 1 1) record: PKIX-TA/PKIX-EE records do not count for SMTP (RFC 7672)"
            }
            Cause::DnssecBogus => {
                "re-sign the zone (or fix its DS record at the parent): validating senders get SERVFAIL"
            }
            Cause::DnssecIndeterminate => {
                "ask another validating resolver (--resolver) with a longer --timeout: if it cannot validate either, the zone's DNSKEY, DS or RRSIG answers do not reach resolvers and must be fixed"
            }
            Cause::MtaStsMxMismatch => {
                "list every MX host in the MTA-STS policy's mx: lines (and change its id in the _mta-sts TXT record)"
            }
            Cause::MtaStsPolicyUnavailable => {
                "serve the policy at https://mta-sts.DOMAIN/.well-known/mta-sts.txt with a publicly trusted certificate"
            }
            Cause::MtaStsCertInvalid => {
                "serve a certificate on the MX that validates for its host name (publicly trusted, not expired)"
            }
            _ => return None,
        })
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
