//! TLS-RPT (RFC 8460): the `_smtp._tls.DOMAIN` TXT record names where senders mail or post
//! their daily reports of failed TLS sessions — the evidence that a failure is widespread.

use serde::{Deserialize, Serialize};

/// The reporting record (§3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RptRecord {
    /// `mailto:` and `https:` destinations, in order.
    pub rua: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RptError {
    #[error("no TXT record starts with v=TLSRPTv1")]
    Absent,
    #[error("{0} TXT records start with v=TLSRPTv1; senders use none (RFC 8460 §3)")]
    Several(usize),
    #[error("the record has no rua destination")]
    NoRua,
}

/// Pick and parse the TLS-RPT record from a TXT RRset.
pub fn parse(txts: &[String]) -> Result<RptRecord, RptError> {
    let ours: Vec<&String> = txts
        .iter()
        .filter(|t| {
            t.trim_start()
                .strip_prefix("v=TLSRPTv1")
                .is_some_and(|rest| {
                    let rest = rest.trim_start();
                    rest.is_empty() || rest.starts_with(';')
                })
        })
        .collect();
    let record = match ours.as_slice() {
        [] => return Err(RptError::Absent),
        [one] => *one,
        many => return Err(RptError::Several(many.len())),
    };
    let mut rua = Vec::new();
    for field in record.split(';').skip(1) {
        if let Some((k, v)) = field.split_once('=')
            && k.trim() == "rua"
        {
            rua.extend(
                v.split(',')
                    .map(str::trim)
                    .filter(|u| u.starts_with("mailto:") || u.starts_with("https:"))
                    // The record was escaped at capture; neutralize adds no second layer.
                    .map(|u| crate::sanitize::neutralize(u).into_owned()),
            );
        }
    }
    if rua.is_empty() {
        return Err(RptError::NoRua);
    }
    Ok(RptRecord { rua })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_from_rfc_8460_section_3() {
        let one = |s: &str| parse(&[s.to_string()]);
        assert_eq!(
            one("v=TLSRPTv1;rua=mailto:reports@example.com")
                .unwrap()
                .rua,
            ["mailto:reports@example.com"]
        );
        assert_eq!(
            one("v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt")
                .unwrap()
                .rua,
            ["https://reporting.example.com/v1/tlsrpt"]
        );
        assert_eq!(
            one("v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.com/x")
                .unwrap()
                .rua
                .len(),
            2
        );
        assert_eq!(one("v=TLSRPTv1;"), Err(RptError::NoRua));
        assert_eq!(one("v=spf1 -all"), Err(RptError::Absent));
        assert_eq!(
            parse(&[
                "v=TLSRPTv1;rua=mailto:a@b".into(),
                "v=TLSRPTv1;rua=mailto:c@d".into()
            ]),
            Err(RptError::Several(2))
        );
    }

    /// The TXT record was escaped at capture (ESC is `\e`): the destination keeps that one
    /// layer instead of gaining a second (`\\e`).
    #[test]
    fn text_escaped_at_capture_is_kept_once() {
        let r = parse(&[r"v=TLSRPTv1; rua=mailto:a@b\e[31mx".to_string()]).unwrap();
        assert_eq!(r.rua, [r"mailto:a@b\e[31mx"]);
        let r = parse(&["v=TLSRPTv1; rua=mailto:a@b\x1b[31mx".to_string()]).unwrap();
        assert_eq!(r.rua, [r"mailto:a@b\e[31mx"]);
    }
}
