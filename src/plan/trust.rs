//! What a plan trusts and presents, carried as certificates (base64 DER, one line each, so a
//! JSON report shows them without escaped line breaks) rather than local paths: a
//! recording made on one machine replays and retries on any other, and a recording shared in
//! an incident ticket leaks no file names and never the client's private key.

use std::path::Path;

use base64::Engine;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};

use crate::files::{self, FileError, MAX_PEM_BYTES};

/// The trust anchors certificates are verified against.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Trust {
    /// The system's store (or the Mozilla roots built in when it is empty).
    #[default]
    System,
    /// Exactly these certificates (from `--ca-file`), base64 DER.
    Anchors {
        /// Where they came from, for people: a file's base name, never its path.
        from: String,
        certificates: Vec<String>,
    },
}

impl Trust {
    /// The anchors in `path`, read with a size cap; `what` names the flag in errors.
    pub fn from_file(what: &'static str, path: &Path) -> Result<Trust, FileError> {
        let bytes = files::read_capped(what, path, MAX_PEM_BYTES)?;
        let certs = certs_in(what, path, &bytes)?;
        Ok(Trust::Anchors {
            from: base_name(path),
            certificates: certs.iter().map(|c| b64(c)).collect(),
        })
    }

    /// Anchors from PEM text already in memory (the lab's CA).
    pub fn from_pem(from: &str, pem: &str) -> Trust {
        let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
            .filter_map(Result::ok)
            .map(|c| b64(&c))
            .collect();
        Trust::Anchors {
            from: from.to_string(),
            certificates,
        }
    }

    /// The anchors as DER, `None` for the system store.
    pub fn anchors(&self) -> Option<Vec<CertificateDer<'static>>> {
        match self {
            Trust::System => None,
            Trust::Anchors { certificates, .. } => Some(
                certificates
                    .iter()
                    .filter_map(|c| unb64(c))
                    .map(CertificateDer::from)
                    .collect(),
            ),
        }
    }

    /// "system roots" or "2 certificates from ca.pem", for headers and reports.
    pub fn describe(&self) -> String {
        match self {
            Trust::System => "system roots".into(),
            Trust::Anchors { from, certificates } => format!(
                "{} certificate{} from {from}",
                certificates.len(),
                if certificates.len() == 1 { "" } else { "s" }
            ),
        }
    }
}

/// The client certificate offered when the server asks (`--cert`/`--key`). The chain travels
/// with the plan; the private key stays in memory and is never written to a recording.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientIdentity {
    /// Where the chain came from (a base name), for people.
    pub from: String,
    /// The chain, leaf first, base64 DER.
    pub chain: Vec<String>,
    /// The private key (PKCS#8, PKCS#1 or SEC1 DER as read); absent in a replayed recording.
    #[serde(skip)]
    pub key: Option<SecretKey>,
}

/// A private key held in memory only: no `Serialize`, and `Debug` does not show it.
pub struct SecretKey(PrivateKeyDer<'static>);

impl Clone for SecretKey {
    fn clone(&self) -> Self {
        SecretKey(self.0.clone_key())
    }
}

impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.secret_der() == other.0.secret_der()
    }
}

impl Eq for SecretKey {}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("from", &self.from)
            .field("chain", &self.chain.len())
            .field("key", &self.key.as_ref().map(|_| "<private key>"))
            .finish()
    }
}

impl ClientIdentity {
    /// Read `--cert` and `--key`, each with a size cap.
    pub fn from_files(cert: &Path, key: &Path) -> Result<ClientIdentity, FileError> {
        let bytes = files::read_capped("--cert", cert, MAX_PEM_BYTES)?;
        let chain = certs_in("--cert", cert, &bytes)?;
        let key_bytes = files::read_capped("--key", key, MAX_PEM_BYTES)?;
        let der = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|e| FileError::Read {
            what: "--key",
            path: key.to_path_buf(),
            detail: format!("no usable PEM private key in it ({e})"),
        })?;
        Ok(ClientIdentity {
            from: base_name(cert),
            chain: chain.iter().map(|c| b64(c)).collect(),
            key: Some(SecretKey(der)),
        })
    }

    /// The chain as DER.
    pub fn chain_der(&self) -> Vec<CertificateDer<'static>> {
        self.chain
            .iter()
            .filter_map(|c| unb64(c))
            .map(CertificateDer::from)
            .collect()
    }

    /// The key as DER, when this process has it.
    pub fn key_der(&self) -> Option<PrivateKeyDer<'static>> {
        self.key.as_ref().map(|k| k.0.clone_key())
    }
}

fn certs_in(
    what: &'static str,
    path: &Path,
    bytes: &[u8],
) -> Result<Vec<CertificateDer<'static>>, FileError> {
    let err = |detail: String| FileError::Read {
        what,
        path: path.to_path_buf(),
        detail,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| err(format!("not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(err("no PEM CERTIFICATE block in it".into()));
    }
    Ok(certs)
}

fn b64(der: &[u8]) -> String {
    crate::cert::base64(der)
}

fn unb64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

fn base_name(path: &Path) -> String {
    path.file_name()
        .map(|n| crate::sanitize::escape_str(&n.to_string_lossy()))
        .unwrap_or_else(|| "a file".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab_pem() -> (String, String, String) {
        let pki = crate::lab::Pki::generate().expect("lab pki");
        (pki.ca_pem(), pki.client_cert_pem(), pki.client_key_pem())
    }

    #[test]
    fn anchors_travel_as_certificates_not_paths() {
        let (ca, _, _) = lab_pem();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, &ca).unwrap();
        let trust = Trust::from_file("--ca-file", &path).unwrap();
        let json = serde_json::to_string(&trust).unwrap();
        assert!(!json.contains(&dir.path().display().to_string()), "{json}");
        assert!(!json.contains("\\n"), "one line per certificate: {json}");
        std::fs::remove_file(&path).unwrap();
        let back: Trust = serde_json::from_str(&json).unwrap();
        assert_eq!(back.anchors().unwrap().len(), 1);
        assert_eq!(back.describe(), "1 certificate from ca.pem");
    }

    #[test]
    fn the_private_key_never_leaves_the_process() {
        let (_, cert, key) = lab_pem();
        let dir = tempfile::tempdir().unwrap();
        let (c, k) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&c, cert).unwrap();
        std::fs::write(&k, key).unwrap();
        let id = ClientIdentity::from_files(&c, &k).unwrap();
        assert!(id.key_der().is_some());
        let json = serde_json::to_string(&id).unwrap();
        let secret =
            base64::engine::general_purpose::STANDARD.encode(id.key_der().unwrap().secret_der());
        assert!(!json.contains(&secret[..40]), "{json}");
        assert!(!format!("{id:?}").contains(&secret[..40]));
        let back: ClientIdentity = serde_json::from_str(&json).unwrap();
        assert!(back.key.is_none());
        assert_eq!(back.chain_der().len(), 1);
    }
}
