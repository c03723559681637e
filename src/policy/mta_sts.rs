//! MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy file served over HTTPS, and
//! whether an MX host matches the policy's `mx` patterns. Written here rather than taken from
//! `mail-auth` (which brings DKIM, SPF, DMARC, ARC and a resolver of its own) or
//! `mailrs-mta-sts` (young, one maintainer): the grammar is a few lines of ABNF, and we want
//! every rejection named in words an engineer can act on.

use serde::{Deserialize, Serialize};

/// The `_mta-sts.DOMAIN` TXT record (§3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StsRecord {
    pub id: String,
}

/// Why the TXT record set does not announce a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StsRecordError {
    #[error("no TXT record starts with v=STSv1")]
    Absent,
    #[error("{0} TXT records start with v=STSv1; senders ignore them all (RFC 8461 §3.1)")]
    Several(usize),
    #[error("the record {record:?} is invalid: {why}")]
    Invalid { record: String, why: String },
}

/// Pick the STS record from a TXT RRset: records not starting with `v=STSv1` are discarded;
/// anything but exactly one valid record means "no policy" (§3.1).
pub fn parse_record(txts: &[String]) -> Result<StsRecord, StsRecordError> {
    let ours: Vec<&String> = txts
        .iter()
        .filter(|t| {
            t.trim_start().strip_prefix("v=STSv1").is_some_and(|rest| {
                rest.trim_start().is_empty() || rest.trim_start().starts_with(';')
            })
        })
        .collect();
    let record = match ours.as_slice() {
        [] => return Err(StsRecordError::Absent),
        [one] => *one,
        many => return Err(StsRecordError::Several(many.len())),
    };
    let invalid = |why: &str| StsRecordError::Invalid {
        record: crate::sanitize::escape_str(record),
        why: why.into(),
    };
    let mut id = None;
    for field in record.split(';').skip(1) {
        let field = field.trim();
        if field.is_empty() {
            continue;
        }
        let (k, v) = field
            .split_once('=')
            .ok_or_else(|| invalid("a field has no '='"))?;
        if k.trim() == "id" {
            let v = v.trim();
            if v.is_empty() || v.len() > 32 || !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(invalid("id must be 1 to 32 letters and digits"));
            }
            id = Some(v.to_string());
        }
    }
    id.map(|id| StsRecord { id })
        .ok_or_else(|| invalid("no id field"))
}

/// The policy's mode (§5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Enforce,
    Testing,
    None,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Testing => "testing",
            Mode::None => "none",
        }
    }
}

/// A parsed policy file (§3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub mode: Mode,
    pub mx: Vec<String>,
    pub max_age: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the policy has no `version: STSv1` line")]
    NoVersion,
    #[error("the policy has no valid `mode` (enforce, testing or none)")]
    NoMode,
    #[error("the policy has no valid `max_age` (0 to 31557600 seconds)")]
    NoMaxAge,
    #[error("the policy is in {0} mode but lists no `mx` pattern")]
    NoMx(&'static str),
}

/// The largest `max_age` allowed (§3.2: one year).
const MAX_AGE_LIMIT: u32 = 31_557_600;

/// Parse a policy file: `key: value` lines ended by CRLF or LF; unknown keys are ignored and
/// for a repeated key (other than `mx`) the first wins (§3.2).
pub fn parse_policy(body: &str) -> Result<Policy, PolicyError> {
    let (mut version, mut mode, mut max_age) = (None, None, None);
    let mut mx = Vec::new();
    for line in body.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.trim() {
            "version" => {
                version.get_or_insert(v == "STSv1");
            }
            "mode" => {
                mode.get_or_insert(match v {
                    "enforce" => Some(Mode::Enforce),
                    "testing" => Some(Mode::Testing),
                    "none" => Some(Mode::None),
                    _ => None,
                });
            }
            "max_age" => {
                let n = (v.len() <= 10)
                    .then(|| v.parse::<u32>().ok())
                    .flatten()
                    .filter(|n| *n <= MAX_AGE_LIMIT);
                max_age.get_or_insert(n);
            }
            "mx" => mx.push(crate::sanitize::escape_str(&v.to_ascii_lowercase())),
            _ => {}
        }
    }
    if version != Some(true) {
        return Err(PolicyError::NoVersion);
    }
    let mode = mode.flatten().ok_or(PolicyError::NoMode)?;
    let max_age = max_age.flatten().ok_or(PolicyError::NoMaxAge)?;
    if mx.is_empty() && mode != Mode::None {
        return Err(PolicyError::NoMx(mode.name()));
    }
    Ok(Policy { mode, mx, max_age })
}

/// Whether `host` matches one `mx` pattern: exact (case-insensitive, trailing dot ignored) or
/// `*.` followed by the rest, where `*` stands for exactly one left-most label (§4.1).
pub fn mx_matches(pattern: &str, host: &str) -> bool {
    let norm = |s: &str| s.trim_end_matches('.').to_ascii_lowercase();
    let (pattern, host) = (norm(pattern), norm(host));
    match pattern.strip_prefix("*.") {
        Some(rest) => host
            .split_once('.')
            .is_some_and(|(label, tail)| !label.is_empty() && tail == rest),
        None => pattern == host,
    }
}

/// The first pattern of `policy` that `host` matches.
pub fn matching_pattern<'a>(policy: &'a Policy, host: &str) -> Option<&'a str> {
    policy
        .mx
        .iter()
        .map(String::as_str)
        .find(|p| mx_matches(p, host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txt(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn txt_record_from_rfc_8461_section_3_1() {
        let r = parse_record(&txt(&["v=STSv1; id=20160831085700Z;"])).unwrap();
        assert_eq!(r.id, "20160831085700Z");
        // Unrelated TXT records are discarded; spacing is free.
        let r = parse_record(&txt(&["google-site-verification=x", "v=STSv1;id=abc"])).unwrap();
        assert_eq!(r.id, "abc");
    }

    #[test]
    fn txt_records_that_announce_no_policy() {
        assert_eq!(parse_record(&txt(&["spf"])), Err(StsRecordError::Absent));
        assert_eq!(
            parse_record(&txt(&["v=STSv1; id=a", "v=STSv1; id=b"])),
            Err(StsRecordError::Several(2))
        );
        assert!(matches!(
            parse_record(&txt(&["v=STSv1;"])),
            Err(StsRecordError::Invalid { .. })
        ));
        assert!(matches!(
            parse_record(&txt(&["v=STSv1; id=not-alnum!"])),
            Err(StsRecordError::Invalid { .. })
        ));
        // v=STSv10 is not v=STSv1.
        assert_eq!(
            parse_record(&txt(&["v=STSv10; id=a"])),
            Err(StsRecordError::Absent)
        );
    }

    #[test]
    fn policy_file_from_rfc_8461_section_3_2() {
        let body = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n\
                    mx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n";
        let p = parse_policy(body).unwrap();
        assert_eq!(p.mode, Mode::Enforce);
        assert_eq!(
            p.mx,
            ["mail.example.com", "*.example.net", "backupmx.example.com"]
        );
        assert_eq!(p.max_age, 604_800);
        // LF alone and unknown keys are fine.
        let p = parse_policy("version: STSv1\nmode: testing\nmx: a.b\nfoo: bar\nmax_age: 86400\n")
            .unwrap();
        assert_eq!(p.mode, Mode::Testing);
        let p = parse_policy("version: STSv1\nmode: none\nmax_age: 0\n").unwrap();
        assert_eq!(p.mode, Mode::None);
    }

    #[test]
    fn policy_files_that_are_not_policies() {
        let e = |b: &str| parse_policy(b).unwrap_err();
        assert_eq!(
            e("mode: enforce\nmx: a\nmax_age: 1\n"),
            PolicyError::NoVersion
        );
        assert_eq!(
            e("version: STSv2\nmode: enforce\nmx: a\nmax_age: 1\n"),
            PolicyError::NoVersion
        );
        assert_eq!(
            e("version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n"),
            PolicyError::NoMode
        );
        assert_eq!(
            e("version: STSv1\nmode: enforce\nmx: a\nmax_age: 31557601\n"),
            PolicyError::NoMaxAge
        );
        assert_eq!(
            e("version: STSv1\nmode: enforce\nmax_age: 1\n"),
            PolicyError::NoMx("enforce")
        );
        assert_eq!(e("<html>404</html>"), PolicyError::NoVersion);
    }

    #[test]
    fn wildcard_matches_exactly_one_leftmost_label() {
        // RFC 8461 §4.1: "*.example.com" matches "mx1.example.com" but not
        // "mx1.mx2.example.com" nor "example.com".
        assert!(mx_matches("*.example.com", "mx1.example.com"));
        assert!(mx_matches("*.example.com", "MX1.Example.COM."));
        assert!(!mx_matches("*.example.com", "mx1.mx2.example.com"));
        assert!(!mx_matches("*.example.com", "example.com"));
        assert!(!mx_matches("*.example.com", ".example.com"));
        assert!(mx_matches("mail.example.com", "mail.example.com."));
        assert!(!mx_matches("mail.example.com", "mail2.example.com"));
        let p =
            parse_policy("version: STSv1\nmode: enforce\nmx: a.x\nmx: *.y\nmax_age: 1\n").unwrap();
        assert_eq!(matching_pattern(&p, "mx.y"), Some("*.y"));
        assert_eq!(matching_pattern(&p, "b.x"), None);
    }
}
