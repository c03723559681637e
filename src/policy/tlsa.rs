//! TLSA records (RFC 6698) judged the way an SMTP client must judge them (RFC 7672): only
//! DANE-TA(2) and DANE-EE(3) are usable; PKIX-TA(0) and PKIX-EE(1) mean "TLS is mandatory,
//! the certificate is not checked" (§3.1.3). Matching is against the chain the server actually
//! sent, so a record left stale after a certificate rotation shows beside the digests of what
//! is served now. Pure: the caller passes the chain and "now".

use serde::{Deserialize, Serialize};
use x509_parser::prelude::{FromDer, X509Certificate};

/// One TLSA record as published (certificate association data as lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsaRecord {
    pub usage: u8,
    pub selector: u8,
    pub matching_type: u8,
    pub data: String,
}

impl TlsaRecord {
    pub fn new(usage: u8, selector: u8, matching_type: u8, data: &[u8]) -> TlsaRecord {
        TlsaRecord {
            usage,
            selector,
            matching_type,
            data: hex(data),
        }
    }

    /// Presentation form, as in a zone file: `3 1 1 ab12...`.
    pub fn presentation(&self) -> String {
        format!(
            "{} {} {} {}",
            self.usage, self.selector, self.matching_type, self.data
        )
    }

    /// Usable for SMTP (RFC 7672 §3.1): DANE-TA or DANE-EE, a known selector and matching type.
    pub fn usable(&self) -> bool {
        matches!(self.usage, 2 | 3) && self.selector <= 1 && self.matching_type <= 2
    }
}

/// What one certificate of the sent chain digests to, for every selector and matching type a
/// record may use (full data is shown by length only: it is the certificate or key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertDigests {
    /// Position in the chain as sent (0 = the server's own certificate).
    pub index: usize,
    pub subject: String,
    pub cert_sha256: String,
    pub cert_sha512: String,
    pub spki_sha256: String,
    pub spki_sha512: String,
}

/// One record and the certificate it matched, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordMatch {
    pub record: TlsaRecord,
    /// Index in the sent chain of the certificate the record matched.
    pub matched: Option<usize>,
    /// Why a record that digests equal still does not count, or why it is not used at all.
    pub note: Option<String>,
}

/// The outcome of matching usable records against a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsaOutcome {
    /// A usable record matched (and, for DANE-TA, the chain and names checked out).
    Valid,
    /// Usable records exist and none matched.
    Mismatch,
    /// Records exist but none is usable for SMTP (only PKIX-TA/PKIX-EE or unknown parameters).
    Unusable,
    /// No chain was captured (the handshake did not get that far).
    NoChain,
}

/// Matching a TLSA RRset against a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsaCheck {
    pub outcome: TlsaOutcome,
    pub records: Vec<RecordMatch>,
    pub certificates: Vec<CertDigests>,
}

/// The bytes a selector picks from one certificate: the whole DER (0) or its
/// SubjectPublicKeyInfo (1). `None` when the certificate does not parse.
fn selected(der: &[u8], selector: u8) -> Option<Vec<u8>> {
    match selector {
        0 => Some(der.to_vec()),
        1 => {
            let (_, cert) = X509Certificate::from_der(der).ok()?;
            Some(cert.public_key().raw.to_vec())
        }
        _ => None,
    }
}

/// The association data a record with this matching type would carry for `bytes`.
fn associate(bytes: &[u8], matching_type: u8) -> Option<Vec<u8>> {
    use aws_lc_rs::digest::{SHA256, SHA512, digest};
    match matching_type {
        0 => Some(bytes.to_vec()),
        1 => Some(digest(&SHA256, bytes).as_ref().to_vec()),
        2 => Some(digest(&SHA512, bytes).as_ref().to_vec()),
        _ => None,
    }
}

/// Whether `record` matches certificate `der` (selector and matching type applied).
pub fn matches(record: &TlsaRecord, der: &[u8]) -> bool {
    selected(der, record.selector)
        .and_then(|b| associate(&b, record.matching_type))
        .is_some_and(|d| hex(&d) == record.data.to_ascii_lowercase())
}

/// The digests of every certificate in `chain`.
pub fn digests(chain: &[Vec<u8>]) -> Vec<CertDigests> {
    chain
        .iter()
        .enumerate()
        .map(|(index, der)| {
            let d = |sel, mt| {
                selected(der, sel)
                    .and_then(|b| associate(&b, mt))
                    .map(|v| hex(&v))
                    .unwrap_or_default()
            };
            let subject = X509Certificate::from_der(der)
                .map(|(_, c)| crate::sanitize::escape_str(&c.subject().to_string()))
                .unwrap_or_else(|_| "(unparseable certificate)".into());
            CertDigests {
                index,
                subject,
                cert_sha256: d(0, 1),
                cert_sha512: d(0, 2),
                spki_sha256: d(1, 1),
                spki_sha512: d(1, 2),
            }
        })
        .collect()
}

/// Checks that the leaf chains up to the matched DANE-TA certificate and is valid for the MX
/// host (RFC 7672 §3.2.2: with DANE-TA the names are checked, against the MX host).
pub type ChainCheck<'a> = &'a dyn Fn(&[Vec<u8>], usize) -> Result<(), String>;

/// Match `records` against `chain` (DER, as sent, leaf first). DANE-EE(3) matches the leaf
/// only and ignores names and expiry (RFC 7672 §3.1.1); DANE-TA(2) matches a CA certificate
/// the server sent, then `chain_ok` must accept the path from the leaf to it (§3.1.2).
pub fn check(records: &[TlsaRecord], chain: &[Vec<u8>], chain_ok: ChainCheck<'_>) -> TlsaCheck {
    let certificates = digests(chain);
    let mut any_usable = false;
    let mut any_valid = false;
    let mut out = Vec::new();
    for r in records {
        let mut m = RecordMatch {
            record: r.clone(),
            matched: None,
            note: None,
        };
        if !r.usable() {
            m.note = Some(match r.usage {
                0 | 1 => format!(
                    "usage {} ({}) is not usable for SMTP (RFC 7672 §3.1.3)",
                    r.usage,
                    usage_name(r.usage)
                ),
                _ => "unknown usage, selector or matching type".into(),
            });
            out.push(m);
            continue;
        }
        any_usable = true;
        let candidates: Vec<usize> = match r.usage {
            3 => (0..chain.len().min(1)).collect(),
            // The trust anchor is a CA the server sent; the leaf itself is not one.
            _ => (1..chain.len()).collect(),
        };
        if let Some(i) = candidates.into_iter().find(|&i| matches(r, &chain[i])) {
            m.matched = Some(i);
            if r.usage == 2
                && let Err(why) = chain_ok(chain, i)
            {
                m.note = Some(format!("digest matches, but the chain fails: {why}"));
                out.push(m);
                continue;
            }
            any_valid = true;
        }
        out.push(m);
    }
    let outcome = if chain.is_empty() && any_usable {
        TlsaOutcome::NoChain
    } else if any_valid {
        TlsaOutcome::Valid
    } else if any_usable {
        TlsaOutcome::Mismatch
    } else {
        TlsaOutcome::Unusable
    };
    TlsaCheck {
        outcome,
        records: out,
        certificates,
    }
}

/// RFC 7218 mnemonic of a certificate usage.
pub fn usage_name(usage: u8) -> &'static str {
    match usage {
        0 => "PKIX-TA",
        1 => "PKIX-EE",
        2 => "DANE-TA",
        3 => "DANE-EE",
        _ => "unknown",
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[path = "tlsa_tests.rs"]
mod tests;
