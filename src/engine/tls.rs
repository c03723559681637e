//! One rustls `ClientConfig` per attempt, built from the plan's TLS options with
//! `builder_with_provider`: chosen versions, cipher suites and key-exchange groups, the
//! capturing verifier, an optional client certificate and key logging.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore, SignatureScheme, sign::CertifiedKey};

use crate::engine::Emitter;
use crate::engine::verify::CapturingVerifier;
use crate::event::EventKind;
use crate::plan::{TlsOptions, TlsVersion};

#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    #[error("unknown cipher suite {name}; this client can offer: {valid}")]
    UnknownSuite { name: String, valid: String },
    #[error("unknown group {name}; this client can offer: {valid}")]
    UnknownGroup { name: String, valid: String },
    #[error("cannot read {what} {path}: {detail}")]
    File {
        what: &'static str,
        path: PathBuf,
        detail: String,
    },
    #[error("{0}")]
    Invalid(String),
}

/// The cipher-suite names this client can offer (rustls names; IANA TLS 1.3 names accepted).
pub fn suite_names() -> Vec<String> {
    provider_base()
        .cipher_suites
        .iter()
        .map(|s| format!("{:?}", s.suite()))
        .collect()
}

/// The key-exchange group names this client can offer.
pub fn group_names() -> Vec<String> {
    provider_base()
        .kx_groups
        .iter()
        .map(|g| format!("{:?}", g.name()))
        .collect()
}

fn provider_base() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// Accept `TLS_AES_128_GCM_SHA256` (IANA) for rustls' `TLS13_AES_128_GCM_SHA256`, any case.
fn normalise_suite(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    match upper.strip_prefix("TLS_") {
        Some(rest) if !rest.contains("_WITH_") => format!("TLS13_{rest}"),
        _ => upper,
    }
}

/// The provider restricted to the plan's suites and groups.
pub fn provider(opts: &TlsOptions) -> Result<CryptoProvider, TlsConfigError> {
    let mut p = provider_base();
    if !opts.cipher_suites.is_empty() {
        let mut chosen = Vec::new();
        for name in &opts.cipher_suites {
            let want = normalise_suite(name);
            let suite = p
                .cipher_suites
                .iter()
                .find(|s| format!("{:?}", s.suite()) == want)
                .ok_or_else(|| TlsConfigError::UnknownSuite {
                    name: name.clone(),
                    valid: suite_names().join(", "),
                })?;
            chosen.push(*suite);
        }
        p.cipher_suites = chosen;
    }
    if !opts.groups.is_empty() {
        let mut chosen = Vec::new();
        for name in &opts.groups {
            let group = p
                .kx_groups
                .iter()
                .find(|g| format!("{:?}", g.name()).eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| TlsConfigError::UnknownGroup {
                    name: name.clone(),
                    valid: group_names().join(", "),
                })?;
            chosen.push(*group);
        }
        p.kx_groups = chosen;
    }
    Ok(p)
}

/// Validate names and files early (for the CLI), without building anything else.
pub fn check(opts: &TlsOptions) -> Result<(), TlsConfigError> {
    provider(opts)?;
    if let Some(ca) = &opts.ca_file {
        read_roots(ca)?;
    }
    client_cert(opts)?;
    Ok(())
}

/// Build the attempt's config. `verifier` has already been told the name to check.
pub fn client_config(
    opts: &TlsOptions,
    verifier: Arc<CapturingVerifier>,
    emitter: &Emitter,
) -> Result<ClientConfig, TlsConfigError> {
    let provider = Arc::new(provider(opts)?);
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = if opts.versions.is_empty() {
        vec![&rustls::version::TLS13, &rustls::version::TLS12]
    } else {
        opts.versions
            .iter()
            .map(|v| match v {
                TlsVersion::Tls12 => &rustls::version::TLS12,
                TlsVersion::Tls13 => &rustls::version::TLS13,
            })
            .collect()
    };
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| {
            TlsConfigError::Invalid(format!(
                "the chosen cipher suites cannot be used with the chosen TLS versions ({e})"
            ))
        })?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let resolver = Arc::new(ClientCertResolver {
        key: client_cert(opts)?
            .map(|(chain, key)| {
                CertifiedKey::from_der(chain, key, &provider)
                    .map(Arc::new)
                    .map_err(|e| {
                        TlsConfigError::Invalid(format!(
                            "--cert and --key do not form a usable pair: {e}"
                        ))
                    })
            })
            .transpose()?,
        emitter: Mutex::new(emitter.clone()),
    });
    let mut config = builder.with_client_cert_resolver(resolver);
    config.enable_sni = !matches!(opts.sni, crate::plan::Sni::Off);
    config.resumption = rustls::client::Resumption::disabled();
    if let Some(path) = &opts.keylog {
        config.key_log = Arc::new(KeyLogTo::open(path)?);
    } else if std::env::var_os("SSLKEYLOGFILE").is_some() {
        config.key_log = Arc::new(rustls::KeyLogFile::new());
    }
    Ok(config)
}

/// The roots to trust: `--ca-file` alone when given, else the system's store, else the
/// Mozilla roots compiled in.
pub fn roots(opts: &TlsOptions) -> Result<RootCertStore, TlsConfigError> {
    if let Some(path) = &opts.ca_file {
        return read_roots(path);
    }
    let mut store = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = store.add(cert);
    }
    if store.is_empty() {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    Ok(store)
}

fn read_roots(path: &Path) -> Result<RootCertStore, TlsConfigError> {
    let certs = read_certs("--ca-file", path)?;
    let mut store = RootCertStore::empty();
    for cert in certs {
        store.add(cert).map_err(|e| TlsConfigError::File {
            what: "--ca-file",
            path: path.to_path_buf(),
            detail: format!("a certificate is not usable as a trust anchor: {e}"),
        })?;
    }
    Ok(store)
}

fn read_certs(
    what: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let err = |detail: String| TlsConfigError::File {
        what,
        path: path.to_path_buf(),
        detail,
    };
    let bytes = fs::read(path).map_err(|e| err(io_words(&e)))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| err(format!("not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(err("no PEM CERTIFICATE block in it".into()));
    }
    Ok(certs)
}

type ClientCert = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn client_cert(opts: &TlsOptions) -> Result<Option<ClientCert>, TlsConfigError> {
    match (&opts.client_cert, &opts.client_key) {
        (None, None) => Ok(None),
        (Some(_), None) | (None, Some(_)) => Err(TlsConfigError::Invalid(
            "--cert and --key go together: give both".into(),
        )),
        (Some(cert), Some(key)) => {
            let chain = read_certs("--cert", cert)?;
            let bytes = fs::read(key).map_err(|e| TlsConfigError::File {
                what: "--key",
                path: key.clone(),
                detail: io_words(&e),
            })?;
            let key_der =
                PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| TlsConfigError::File {
                    what: "--key",
                    path: key.clone(),
                    detail: format!("no usable PEM private key in it: {e}"),
                })?;
            Ok(Some((chain, key_der)))
        }
    }
}

fn io_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Offers the configured client certificate, and reports that the server asked for one.
#[derive(Debug)]
struct ClientCertResolver {
    key: Option<Arc<CertifiedKey>>,
    emitter: Mutex<Emitter>,
}

impl ResolvesClientCert for ClientCertResolver {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        let text = format!(
            "the server asked for a client certificate ({} acceptable issuer name{}); {}",
            root_hint_subjects.len(),
            if root_hint_subjects.len() == 1 {
                ""
            } else {
                "s"
            },
            if self.key.is_some() {
                "sending the one from --cert"
            } else {
                "we have none to send (--cert/--key)"
            }
        );
        if let Ok(e) = self.emitter.lock() {
            e.emit(EventKind::Note { text });
        }
        self.key.clone()
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// `--keylog FILE`: NSS key log lines appended to FILE.
#[derive(Debug)]
struct KeyLogTo(Mutex<fs::File>);

impl KeyLogTo {
    fn open(path: &Path) -> Result<KeyLogTo, TlsConfigError> {
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map(|f| KeyLogTo(Mutex::new(f)))
            .map_err(|e| TlsConfigError::File {
                what: "--keylog",
                path: path.to_path_buf(),
                detail: io_words(&e),
            })
    }
}

impl rustls::KeyLog for KeyLogTo {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        if let Ok(mut f) = self.0.lock() {
            let _ = writeln!(f, "{label} {} {}", hex(client_random), hex(secret));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_names_accept_iana_and_rustls_forms() {
        assert_eq!(
            normalise_suite("TLS_AES_128_GCM_SHA256"),
            "TLS13_AES_128_GCM_SHA256"
        );
        assert_eq!(
            normalise_suite("tls_ecdhe_rsa_with_aes_128_gcm_sha256"),
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        );
        let opts = TlsOptions {
            cipher_suites: vec!["TLS_AES_256_GCM_SHA384".into()],
            groups: vec!["x25519".into()],
            ..TlsOptions::default()
        };
        let p = provider(&opts).unwrap();
        assert_eq!(p.cipher_suites.len(), 1);
        assert_eq!(p.kx_groups.len(), 1);
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let opts = TlsOptions {
            cipher_suites: vec!["TLS_RSA_WITH_RC4_128_MD5".into()],
            ..TlsOptions::default()
        };
        let e = provider(&opts).unwrap_err().to_string();
        assert!(
            e.starts_with("unknown cipher suite TLS_RSA_WITH_RC4_128_MD5"),
            "{e}"
        );
        assert!(e.contains("TLS13_AES_128_GCM_SHA256"), "{e}");
        let opts = TlsOptions {
            groups: vec!["ffdhe2048".into()],
            ..TlsOptions::default()
        };
        let e = provider(&opts).unwrap_err().to_string();
        assert!(e.contains("X25519MLKEM768"), "{e}");
    }

    #[test]
    fn unreadable_and_malformed_pem_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let opts = TlsOptions {
            ca_file: Some(missing.clone()),
            ..TlsOptions::default()
        };
        let e = check(&opts).unwrap_err().to_string();
        assert_eq!(
            e,
            format!("cannot read --ca-file {}: no such file", missing.display())
        );
        let junk = dir.path().join("junk.pem");
        fs::write(&junk, "hello, not a certificate\n").unwrap();
        let opts = TlsOptions {
            ca_file: Some(junk.clone()),
            ..TlsOptions::default()
        };
        let e = check(&opts).unwrap_err().to_string();
        assert!(
            e.contains("junk.pem") && e.contains("no PEM CERTIFICATE"),
            "{e}"
        );
        let opts = TlsOptions {
            client_cert: Some(junk.clone()),
            client_key: Some(junk),
            ..TlsOptions::default()
        };
        assert!(check(&opts).is_err());
    }
}
