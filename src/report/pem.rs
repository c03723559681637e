//! The chain as the server sent it, in PEM, the way `openssl s_client -showcerts` prints
//! it: each certificate's position, subject and issuer, then its PEM block. Shown whatever
//! the verdict, since a refused chain is exactly the one an engineer needs to look at.

use std::fmt::Write as _;

use crate::session::Attempt;

/// The chain of `a` in PEM with a header line; `None` when the attempt kept no PEM (no
/// certificate received, or a recording made before certificates were kept as PEM).
pub fn chain(a: &Attempt) -> Option<String> {
    let with_pem = a
        .certificates
        .iter()
        .filter(|c| c.pem.starts_with("-----BEGIN CERTIFICATE-----"))
        .count();
    if with_pem == 0 {
        return None;
    }
    let mut out = String::new();
    let verdict = a
        .verdict
        .as_ref()
        .map(|v| v.detail.clone())
        .unwrap_or_else(|| "not judged".into());
    let _ = writeln!(
        out,
        "Certificate chain as sent by the server ({} certificates; verification: {verdict})",
        a.certificates.len()
    );
    for (i, c) in a.certificates.iter().enumerate() {
        let _ = writeln!(out, "{i:>2} s:{}", c.subject);
        let _ = writeln!(out, "   i:{}", c.issuer);
        let _ = writeln!(out, "   SHA-256: {}", c.sha256);
        if c.pem.starts_with("-----BEGIN CERTIFICATE-----") {
            // Our own base64 of the DER; escaped all the same, as everything from a recording.
            for line in c.pem.lines() {
                let _ = writeln!(out, "{}", crate::sanitize::escape_str(line));
            }
        } else {
            let _ = writeln!(out, "   (no PEM kept for this certificate)");
        }
    }
    Some(out)
}
