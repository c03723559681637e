//! tlsdive's findings in TLS-RPT's vocabulary (RFC 8460 §4.3): the `result-type` a sending
//! MTA would report for the failure a cause names, so a finding and a line of a TLS report
//! can be compared and joined. One exhaustive match: a new cause must pick its type here.

use super::cause::Cause;
use crate::session::Attempt;
use crate::tlsrpt::ResultType;

/// The result type a reporting sender would give this cause, or `None` where TLS-RPT has
/// none: the session never reached TLS (DNS, TCP, SMTP refusals), nothing failed, or the
/// cause is about the pattern over attempts rather than one session.
pub fn result_type(cause: Cause) -> Option<ResultType> {
    use Cause::*;
    Some(match cause {
        StarttlsNotOffered | StarttlsRejected => ResultType::StarttlsNotSupported,
        CertNameMismatch => ResultType::CertificateHostMismatch,
        CertExpired => ResultType::CertificateExpired,
        CertUntrusted | CertSelfSigned | CertChainIncomplete => ResultType::CertificateNotTrusted,
        // RFC 8460: "a general failure for a reason not matching a category above" — every
        // handshake that ends without a session, and a certificate not valid yet.
        CertNotYetValid
        | NoSharedVersion
        | NoSharedCipher
        | NoSharedGroup
        | NoSharedParameters
        | TlsAlert
        | PeerClosedDuringHandshake
        | PeerResetDuringHandshake
        | HandshakeTimeout
        | TlsProtocolError
        | NotTls
        | ClientCertRequired
        | HelloSizeIntolerant
        | ServerDropsEveryHello
        | ServerRefusesEveryVersion
        | PlaintextInjection => ResultType::ValidationFailure,
        // No TLSA record of the RRset matches the chain, or none is usable.
        DaneMismatch | DaneUnusable => ResultType::TlsaInvalid,
        // No validated answer from the resolver (bogus, or none in time).
        DnssecBogus | DnssecIndeterminate => ResultType::DnssecInvalid,
        MtaStsPolicyUnavailable => ResultType::StsPolicyFetchError,
        // RFC 8460 has no type of its own for an MX outside the policy; senders report the
        // session's validation as failed.
        MtaStsMxMismatch => ResultType::ValidationFailure,
        // The MX certificate refused under MTA-STS enforce: its own defect names the type
        // (RFC 8460 §4.3.1), which the cause alone does not say; see `result_type_on`.
        // (`sts-webpki-invalid` is the policy's HTTPS certificate, not the MX's.)
        MtaStsCertInvalid => return None,
        Ok | Running | Cancelled | DnsFailed | NoMx | ConnectRefused | ConnectTimeout
        | Unreachable | BannerTimeout | NotSmtp | ServiceUnavailable | EhloRejected
        | PostTlsFailure | Timeout | InternalError | ReplyTooLong | ConnectionClosed
        | Intermittent => return None,
    })
}

/// The result type for `cause` as found on attempt `a`: [`result_type`], except that an MX
/// certificate refused under MTA-STS is reported with the certificate's own defect.
pub fn result_type_on(a: &Attempt, cause: Cause) -> Option<ResultType> {
    if cause == Cause::MtaStsPolicyUnavailable {
        return Some(sts_unavailable(a));
    }
    if cause != Cause::MtaStsCertInvalid {
        return result_type(cause);
    }
    match &a.verdict {
        Some(v) if !v.ok => result_type(super::cert_cause(v.problem.as_ref()).0),
        // It verifies, but for another name than the MX host's.
        Some(_) => Some(ResultType::CertificateHostMismatch),
        None => None,
    }
}

/// The result type of an MTA-STS policy announced but not had (RFC 8460 §4.3.2): a body
/// that came but does not parse is `sts-policy-invalid`, the policy host's certificate
/// refused is `sts-webpki-invalid`, any other failed fetch `sts-policy-fetch-error`.
pub fn sts_unavailable(a: &Attempt) -> ResultType {
    match &a.policy.sts_policy {
        Some(f) if f.error.is_none() && f.body.is_some() => ResultType::StsPolicyInvalid,
        Some(f) if f.failed_at == Some(crate::policy::FetchStep::Certificate) => {
            ResultType::StsWebpkiInvalid
        }
        _ => ResultType::StsPolicyFetchError,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_with_a_type_maps_to_its_rfc_spelling() {
        let cases = [
            (Cause::StarttlsNotOffered, "starttls-not-supported"),
            (Cause::StarttlsRejected, "starttls-not-supported"),
            (Cause::CertNameMismatch, "certificate-host-mismatch"),
            (Cause::CertExpired, "certificate-expired"),
            (Cause::CertUntrusted, "certificate-not-trusted"),
            (Cause::CertSelfSigned, "certificate-not-trusted"),
            (Cause::CertChainIncomplete, "certificate-not-trusted"),
            (Cause::CertNotYetValid, "validation-failure"),
            (Cause::NoSharedVersion, "validation-failure"),
            (Cause::NoSharedCipher, "validation-failure"),
            (Cause::NoSharedGroup, "validation-failure"),
            (Cause::NoSharedParameters, "validation-failure"),
            (Cause::TlsAlert, "validation-failure"),
            (Cause::PeerClosedDuringHandshake, "validation-failure"),
            (Cause::PeerResetDuringHandshake, "validation-failure"),
            (Cause::HandshakeTimeout, "validation-failure"),
            (Cause::TlsProtocolError, "validation-failure"),
            (Cause::NotTls, "validation-failure"),
            (Cause::ClientCertRequired, "validation-failure"),
            (Cause::HelloSizeIntolerant, "validation-failure"),
            (Cause::ServerDropsEveryHello, "validation-failure"),
            (Cause::ServerRefusesEveryVersion, "validation-failure"),
            (Cause::PlaintextInjection, "validation-failure"),
            (Cause::DaneMismatch, "tlsa-invalid"),
            (Cause::DaneUnusable, "tlsa-invalid"),
            (Cause::DnssecBogus, "dnssec-invalid"),
            (Cause::DnssecIndeterminate, "dnssec-invalid"),
            (Cause::MtaStsPolicyUnavailable, "sts-policy-fetch-error"),
            (Cause::MtaStsMxMismatch, "validation-failure"),
        ];
        for (cause, code) in cases {
            assert_eq!(
                result_type(cause).as_ref().map(ResultType::code),
                Some(code),
                "{cause}"
            );
        }
        // Every other cause has none, and each of them was decided, not forgotten.
        let with: Vec<Cause> = cases.iter().map(|c| c.0).collect();
        for c in Cause::ALL.iter().filter(|c| !with.contains(c)) {
            assert_eq!(result_type(*c), None, "{c}");
        }
        assert!(
            ResultType::KNOWN
                .iter()
                // A sender's own configuration; and what the policy fetch met, which
                // `result_type_on` reads from the attempt (`sts_unavailable`).
                .filter(|r| !matches!(
                    r,
                    ResultType::DaneRequired
                        | ResultType::StsPolicyInvalid
                        | ResultType::StsWebpkiInvalid
                ))
                .all(|r| cases.iter().any(|(_, code)| *code == r.code())),
            "every result type a probe can observe has a cause"
        );
    }

    #[test]
    fn an_unavailable_policy_is_typed_by_what_the_fetch_met() {
        use crate::policy::{FetchStep, PolicyFetch};
        let mut a = Attempt::new(1, None);
        let mut rt = |fetch: Option<PolicyFetch>| {
            a.policy.sts_policy = fetch;
            (
                sts_unavailable(&a).code().to_string(),
                result_type_on(&a, Cause::MtaStsPolicyUnavailable).map(|r| r.code().to_string()),
            )
        };
        let failed = |step| PolicyFetch {
            url: "https://mta-sts.example.net/.well-known/mta-sts.txt".into(),
            body: None,
            error: Some("it failed".into()),
            failed_at: step,
        };
        assert_eq!(
            rt(Some(failed(Some(FetchStep::Certificate)))),
            (
                "sts-webpki-invalid".into(),
                Some("sts-webpki-invalid".into())
            )
        );
        for step in [Some(FetchStep::Http), Some(FetchStep::Tls), None] {
            assert_eq!(
                rt(Some(failed(step))),
                (
                    "sts-policy-fetch-error".into(),
                    Some("sts-policy-fetch-error".into())
                )
            );
        }
        assert_eq!(rt(None).0, "sts-policy-fetch-error");
        let unparsable = PolicyFetch {
            body: Some("version: STSv9".into()),
            error: None,
            failed_at: None,
            ..failed(None)
        };
        assert_eq!(rt(Some(unparsable)).0, "sts-policy-invalid");
    }
}
