//! One rustls `ClientConfig` per attempt, built from the plan's TLS options with
//! `builder_with_provider`: chosen versions, cipher suites and key-exchange groups, the
//! capturing verifier, an optional client certificate and key logging.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;

use rustls::{ClientConfig, RootCertStore, SignatureScheme, sign::CertifiedKey};

use crate::engine::Emitter;
use crate::engine::secrets::{KeyLogs, Secrets};
use crate::engine::verify::CapturingVerifier;
use crate::event::EventKind;
use crate::files::io_words;
use crate::plan::{TlsOptions, TlsVersion};

#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    #[error("unknown cipher suite {name}; this client can offer: {valid}")]
    UnknownSuite { name: String, valid: String },
    #[error("unknown group {name}; this client can offer: {valid}")]
    UnknownGroup { name: String, valid: String },
    #[error("cannot write {what} {path}: {detail}")]
    Write {
        what: &'static str,
        path: PathBuf,
        detail: String,
    },
    #[error("{0}")]
    Output(#[from] crate::files::OutputError),
    #[error("{0}")]
    Invalid(String),
}

use crate::plan::provider::{group_code, provider_base, suite_code};
pub use crate::plan::provider::{group_names, suite_names};

/// The provider restricted to the plan's suites and groups.
pub fn provider(opts: &TlsOptions) -> Result<CryptoProvider, TlsConfigError> {
    let mut p = provider_base();
    if !opts.cipher_suites.is_empty() {
        let mut chosen = Vec::new();
        for name in &opts.cipher_suites {
            let want = suite_code(name);
            let suite = p
                .cipher_suites
                .iter()
                .find(|s| Some(u16::from(s.suite())) == want)
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
            let want = group_code(name);
            let group = p
                .kx_groups
                .iter()
                .find(|g| Some(u16::from(g.name())) == want)
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

/// Validate names, the client key pair and the key log early (for the CLI and the TUI's
/// plan edits), without building anything else.
pub fn check(opts: &TlsOptions) -> Result<(), TlsConfigError> {
    let provider = provider(opts)?;
    certified_key(opts, &provider)?;
    if let Some((what, path)) = key_log_path(opts) {
        KeyLogTo::open(what, &path)?;
    }
    Ok(())
}

/// Build the attempt's config. `verifier` has already been told the name to check; every
/// secret of the handshake is kept in `secrets` (memory only), and also written to the key
/// log the user asked for.
/// The TLS bytes rustls has ready to send on `conn` (before any I/O: its ClientHello),
/// looked at and left where they are — the writer takes none of them, so the connection
/// sends them as it would have.
pub fn pending_tls(conn: &mut rustls::ClientConnection) -> Vec<u8> {
    struct Look(Vec<u8>);
    impl Write for Look {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.extend_from_slice(buf);
            Ok(0)
        }
        fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
            for b in bufs {
                self.0.extend_from_slice(b);
            }
            Ok(0)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut look = Look(Vec::new());
    // Taking nothing cannot fail; were it to, there is simply nothing to show.
    let _ = conn.write_tls(&mut look);
    look.0
}

/// The ClientHello in `records` (what [`pending_tls`] saw), as the wire parser reads it.
pub fn client_hello(records: &[u8]) -> Option<crate::wire::ClientHelloInfo> {
    let mut tracker = crate::wire::Tracker::new();
    tracker
        .feed(crate::wire::Dir::Client, records)
        .into_iter()
        .flat_map(|r| r.messages)
        .find_map(|m| match m {
            crate::wire::MessageInfo::ClientHello(hello) => Some(hello),
            _ => None,
        })
}

pub fn client_config(
    opts: &TlsOptions,
    verifier: Arc<CapturingVerifier>,
    emitter: &Emitter,
    secrets: &Secrets,
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
        key: certified_key(opts, &provider)?,
        emitter: Mutex::new(emitter.clone()),
    });
    let mut config = builder.with_client_cert_resolver(resolver);
    config.enable_sni = !matches!(opts.sni, crate::plan::Sni::Off);
    config.resumption = rustls::client::Resumption::disabled();
    let also: Option<Arc<dyn rustls::KeyLog>> = match key_log_path(opts) {
        Some((what, path)) => {
            let mut log = KeyLogTo::open(what, &path)?;
            log.emitter = Some(Mutex::new(emitter.clone()));
            Some(Arc::new(log))
        }
        None => None,
    };
    config.key_log = Arc::new(KeyLogs {
        keep: secrets.clone(),
        also,
    });
    Ok(config)
}

/// The roots to trust: the plan's anchors (from `--ca-file`) alone when given, else the
/// system's store, else the Mozilla roots compiled in.
pub fn roots(opts: &TlsOptions) -> Result<RootCertStore, TlsConfigError> {
    if let Some(anchors) = opts.trust.anchors() {
        let mut store = RootCertStore::empty();
        for cert in anchors {
            store.add(cert).map_err(|e| {
                TlsConfigError::Invalid(format!(
                    "a certificate from {} is not usable as a trust anchor: {e}",
                    opts.trust.describe()
                ))
            })?;
        }
        if store.is_empty() {
            return Err(TlsConfigError::Invalid(format!(
                "no usable trust anchor in {}",
                opts.trust.describe()
            )));
        }
        return Ok(store);
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

/// The client certificate and key as rustls will use them, checked to belong together.
fn certified_key(
    opts: &TlsOptions,
    provider: &CryptoProvider,
) -> Result<Option<Arc<CertifiedKey>>, TlsConfigError> {
    let Some(id) = &opts.client else {
        return Ok(None);
    };
    let key = id.key_der().ok_or_else(|| {
        TlsConfigError::Invalid(format!(
            "the client certificate from {} has no private key here (recordings never hold it): give --cert and --key",
            id.from
        ))
    })?;
    let certified = CertifiedKey::from_der(id.chain_der(), key, provider).map_err(|e| {
        TlsConfigError::Invalid(match e {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => format!(
                "--key is not the private key of the certificate in --cert ({})",
                id.from
            ),
            e => format!("--cert and --key do not form a usable pair: {e}"),
        })
    })?;
    Ok(Some(Arc::new(certified)))
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
        if let Ok(e) = self.emitter.lock() {
            e.emit(EventKind::ClientCertRequested {
                issuers: root_hint_subjects.len(),
                offered: self.key.is_some(),
            });
        }
        self.key.clone()
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// Where the secrets go besides memory: `--keylog FILE`, else SSLKEYLOGFILE (set and not
/// empty), which is written the same way (rustls' own `KeyLogFile` fails silently).
fn key_log_path(opts: &TlsOptions) -> Option<(&'static str, std::path::PathBuf)> {
    match &opts.keylog {
        Some(p) => Some(("--keylog", p.clone())),
        None => std::env::var_os("SSLKEYLOGFILE")
            .filter(|v| !v.is_empty())
            .map(|v| ("SSLKEYLOGFILE", v.into())),
    }
}

/// `--keylog FILE` or SSLKEYLOGFILE: NSS key log lines appended to FILE. A failed write is
/// reported once as a note (a full disk must not leave the engineer thinking the secrets are
/// there).
#[derive(Debug)]
struct KeyLogTo {
    what: &'static str,
    file: Mutex<fs::File>,
    emitter: Option<Mutex<Emitter>>,
    warned: std::sync::atomic::AtomicBool,
}

impl KeyLogTo {
    fn open(what: &'static str, path: &Path) -> Result<KeyLogTo, TlsConfigError> {
        crate::files::open_output(what, path, crate::files::Output::Append, true)
            .map(|f| KeyLogTo {
                what,
                file: Mutex::new(f),
                emitter: None,
                warned: Default::default(),
            })
            .map_err(TlsConfigError::Output)
    }
}

impl rustls::KeyLog for KeyLogTo {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let hex = crate::engine::secrets::hex;
        let written = match self.file.lock() {
            Ok(mut f) => writeln!(f, "{label} {} {}", hex(client_random), hex(secret))
                .and_then(|_| f.flush()),
            Err(_) => return,
        };
        if let Err(e) = written
            && !self.warned.swap(true, std::sync::atomic::Ordering::Relaxed)
            && let Some(Ok(em)) = self.emitter.as_ref().map(|m| m.lock())
        {
            em.emit(EventKind::Note {
                text: format!(
                    "could not write the key log ({}): {}",
                    self.what,
                    io_words(&e)
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_names_accept_iana_and_rustls_forms() {
        assert_eq!(suite_code("TLS_AES_128_GCM_SHA256"), Some(0x1301));
        assert_eq!(suite_code("tls13_aes_128_gcm_sha256"), Some(0x1301));
        assert_eq!(
            suite_code("tls_ecdhe_rsa_with_aes_128_gcm_sha256"),
            Some(0xc02f)
        );
        for (suites, group) in [
            ("TLS_AES_256_GCM_SHA384", "x25519"),
            ("tls13_aes_256_gcm_sha384", "X25519"),
        ] {
            let opts = TlsOptions {
                cipher_suites: vec![suites.into()],
                groups: vec![group.into()],
                ..TlsOptions::default()
            };
            let p = provider(&opts).unwrap();
            assert_eq!(p.cipher_suites.len(), 1);
            assert_eq!(u16::from(p.cipher_suites[0].suite()), 0x1302);
            assert_eq!(p.kx_groups.len(), 1);
        }
        // The names offered are the IANA ones, and each is accepted back.
        let names = suite_names();
        assert!(
            names.iter().any(|n| n == "TLS_AES_128_GCM_SHA256"),
            "{names:?}"
        );
        assert!(names.iter().all(|n| !n.starts_with("TLS13_")), "{names:?}");
        for n in names {
            let opts = TlsOptions {
                cipher_suites: vec![n.clone()],
                ..TlsOptions::default()
            };
            assert!(provider(&opts).is_ok(), "{n}");
        }
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
        assert!(e.contains("TLS_AES_128_GCM_SHA256"), "{e}");
        let opts = TlsOptions {
            groups: vec!["ffdhe2048".into()],
            ..TlsOptions::default()
        };
        let e = provider(&opts).unwrap_err().to_string();
        assert!(e.contains("X25519MLKEM768"), "{e}");
    }

    #[test]
    fn a_key_of_another_certificate_is_refused_before_connecting() {
        let pki = crate::lab::Pki::generate().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (c, k) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&c, pki.client_cert_pem()).unwrap();
        std::fs::write(&k, pki.server.key_pem()).unwrap();
        let opts = TlsOptions {
            client: Some(crate::plan::ClientIdentity::from_files(&c, &k).unwrap()),
            ..TlsOptions::default()
        };
        let e = check(&opts).unwrap_err().to_string();
        assert!(e.contains("--key is not the private key"), "{e}");
        std::fs::write(&k, pki.client_key_pem()).unwrap();
        let opts = TlsOptions {
            client: Some(crate::plan::ClientIdentity::from_files(&c, &k).unwrap()),
            ..TlsOptions::default()
        };
        check(&opts).unwrap();
    }

    #[test]
    fn an_unwritable_keylog_says_write() {
        let dir = tempfile::tempdir().unwrap();
        let opts = TlsOptions {
            keylog: Some(dir.path().join("no/such/dir/keys.log")),
            ..TlsOptions::default()
        };
        let e = check(&opts).unwrap_err().to_string();
        assert!(e.starts_with("cannot write --keylog "), "{e}");
    }
}
