//! The RFC 8460 report, as senders write it: field names as in the RFC, lenient where real
//! reporters differ (`mx-host` as a string or a list, counts missing, unknown result types
//! kept by name), strict where a wrong value would mislead (counts are numbers).

use serde::{Deserialize, Deserializer, Serialize};

/// One aggregate report (RFC 8460 §4.4).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Report {
    pub organization_name: String,
    pub date_range: DateRange,
    #[serde(default)]
    pub contact_info: Option<String>,
    #[serde(default)]
    pub report_id: Option<String>,
    pub policies: Vec<PolicyReport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct DateRange {
    pub start_datetime: String,
    pub end_datetime: String,
}

/// What the reporter saw for one policy of one domain.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PolicyReport {
    pub policy: Policy,
    #[serde(default)]
    pub summary: Summary,
    #[serde(default)]
    pub failure_details: Vec<FailureDetail>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Policy {
    pub policy_type: PolicyType,
    #[serde(default)]
    pub policy_string: Vec<String>,
    pub policy_domain: String,
    #[serde(default, deserialize_with = "one_or_many")]
    pub mx_host: Vec<String>,
}

/// The kind of policy the reporter applied.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum PolicyType {
    /// DANE (TLSA records).
    Tlsa,
    /// MTA-STS.
    Sts,
    /// No policy: opportunistic TLS.
    NoPolicyFound,
    Other(String),
}

impl PolicyType {
    pub fn code(&self) -> &str {
        match self {
            PolicyType::Tlsa => "tlsa",
            PolicyType::Sts => "sts",
            PolicyType::NoPolicyFound => "no-policy-found",
            PolicyType::Other(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for PolicyType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.to_ascii_lowercase().as_str() {
            "tlsa" => PolicyType::Tlsa,
            "sts" => PolicyType::Sts,
            "no-policy-found" => PolicyType::NoPolicyFound,
            _ => PolicyType::Other(s),
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Summary {
    #[serde(default)]
    pub total_successful_session_count: u64,
    #[serde(default)]
    pub total_failure_session_count: u64,
}

/// One kind of failure the reporter saw, with how many sessions it hit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct FailureDetail {
    pub result_type: ResultType,
    #[serde(default)]
    pub sending_mta_ip: Option<String>,
    #[serde(default)]
    pub receiving_mx_hostname: Option<String>,
    #[serde(default)]
    pub receiving_mx_helo: Option<String>,
    #[serde(default)]
    pub receiving_ip: Option<String>,
    #[serde(default)]
    pub failed_session_count: u64,
    #[serde(default)]
    pub additional_information: Option<String>,
    #[serde(default)]
    pub failure_reason_code: Option<String>,
}

/// RFC 8460 §4.3's result types; anything else is kept by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResultType {
    StarttlsNotSupported,
    CertificateHostMismatch,
    CertificateExpired,
    CertificateNotTrusted,
    ValidationFailure,
    TlsaInvalid,
    DnssecInvalid,
    DaneRequired,
    StsPolicyFetchError,
    StsPolicyInvalid,
    StsWebpkiInvalid,
    Other(String),
}

impl ResultType {
    pub const KNOWN: [ResultType; 11] = [
        ResultType::StarttlsNotSupported,
        ResultType::CertificateHostMismatch,
        ResultType::CertificateExpired,
        ResultType::CertificateNotTrusted,
        ResultType::ValidationFailure,
        ResultType::TlsaInvalid,
        ResultType::DnssecInvalid,
        ResultType::DaneRequired,
        ResultType::StsPolicyFetchError,
        ResultType::StsPolicyInvalid,
        ResultType::StsWebpkiInvalid,
    ];

    /// The RFC's spelling.
    pub fn code(&self) -> &str {
        match self {
            ResultType::StarttlsNotSupported => "starttls-not-supported",
            ResultType::CertificateHostMismatch => "certificate-host-mismatch",
            ResultType::CertificateExpired => "certificate-expired",
            ResultType::CertificateNotTrusted => "certificate-not-trusted",
            ResultType::ValidationFailure => "validation-failure",
            ResultType::TlsaInvalid => "tlsa-invalid",
            ResultType::DnssecInvalid => "dnssec-invalid",
            ResultType::DaneRequired => "dane-required",
            ResultType::StsPolicyFetchError => "sts-policy-fetch-error",
            ResultType::StsPolicyInvalid => "sts-policy-invalid",
            ResultType::StsWebpkiInvalid => "sts-webpki-invalid",
            ResultType::Other(s) => s,
        }
    }

    pub fn from_code(s: &str) -> ResultType {
        let lower = s.to_ascii_lowercase();
        ResultType::KNOWN
            .into_iter()
            .find(|r| r.code() == lower)
            .unwrap_or_else(|| ResultType::Other(s.to_string()))
    }
}

impl Serialize for ResultType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for ResultType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ResultType::from_code(&String::deserialize(d)?))
    }
}

/// `"mx-host": "a"` and `"mx-host": ["a", "b"]` both occur in the wild.
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8460 Appendix B's sample report, as printed there.
    pub const RFC_SAMPLE: &str = r#"{
      "organization-name": "Company-X",
      "date-range": {
        "start-datetime": "2016-04-01T00:00:00Z",
        "end-datetime": "2016-04-01T23:59:59Z"
      },
      "contact-info": "sts-reporting@company-x.example",
      "report-id": "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
      "policies": [{
        "policy": {
          "policy-type": "sts",
          "policy-string": ["version: STSv1","mode: testing",
                "mx: *.mail.company-y.example","max_age: 86400"],
          "policy-domain": "company-y.example",
          "mx-host": ["*.mail.company-y.example"]
        },
        "summary": {
          "total-successful-session-count": 5326,
          "total-failure-session-count": 303
        },
        "failure-details": [{
          "result-type": "certificate-expired",
          "sending-mta-ip": "2001:db8:abcd:0012::1",
          "receiving-mx-hostname": "mx1.mail.company-y.example",
          "failed-session-count": 100
        }, {
          "result-type": "starttls-not-supported",
          "sending-mta-ip": "2001:db8:abcd:0013::1",
          "receiving-mx-hostname": "mx2.mail.company-y.example",
          "receiving-ip": "203.0.113.56",
          "failed-session-count": 200,
          "additional-information": "https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported"
        }, {
          "result-type": "validation-failure",
          "sending-mta-ip": "198.51.100.62",
          "receiving-ip": "203.0.113.58",
          "receiving-mx-hostname": "mx-backup.mail.company-y.example",
          "failed-session-count": 3,
          "failure-error-code": "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"
        }]
      }]
    }"#;

    #[test]
    fn the_rfc_sample_reads() {
        let r: Report = serde_json::from_str(RFC_SAMPLE).expect("RFC 8460 sample");
        assert_eq!(r.organization_name, "Company-X");
        let p = &r.policies[0];
        assert_eq!(p.policy.policy_type, PolicyType::Sts);
        assert_eq!(p.policy.mx_host, ["*.mail.company-y.example"]);
        assert_eq!(p.summary.total_failure_session_count, 303);
        let types: Vec<&str> = p
            .failure_details
            .iter()
            .map(|f| f.result_type.code())
            .collect();
        assert_eq!(
            types,
            [
                "certificate-expired",
                "starttls-not-supported",
                "validation-failure"
            ]
        );
        assert_eq!(
            p.failure_details[1].receiving_ip.as_deref(),
            Some("203.0.113.56")
        );
    }

    #[test]
    fn result_types_round_trip_and_unknown_ones_are_kept() {
        for r in ResultType::KNOWN {
            assert_eq!(ResultType::from_code(r.code()), r);
        }
        assert_eq!(
            ResultType::from_code("Certificate-Expired"),
            ResultType::CertificateExpired
        );
        assert_eq!(
            ResultType::from_code("something-new"),
            ResultType::Other("something-new".into())
        );
    }

    #[test]
    fn mx_host_as_one_string_and_missing_counts() {
        let p: Policy = serde_json::from_str(
            r#"{"policy-type":"TLSA","policy-domain":"example.org","mx-host":"mx.example.org"}"#,
        )
        .unwrap();
        assert_eq!(p.policy_type, PolicyType::Tlsa);
        assert_eq!(p.mx_host, ["mx.example.org"]);
        let f: FailureDetail = serde_json::from_str(r#"{"result-type":"dane-required"}"#).unwrap();
        assert_eq!(f.failed_session_count, 0);
        // A count that is not a number is refused, not read as zero.
        assert!(
            serde_json::from_str::<FailureDetail>(
                r#"{"result-type":"dane-required","failed-session-count":"many"}"#
            )
            .is_err()
        );
    }
}
