//! The lab's certificates, made fresh with rcgen every time the lab starts.
//!
//! One lab root CA (the only thing clients are given) signs a lab intermediate CA, which
//! issues the server leaves: the good one and the broken ones (expired, not yet valid,
//! wrong name). Two leaves deliberately sit outside that tree: a self-signed one and one
//! from a second "rogue" CA whose certificate is never handed out. The root also issues a
//! client certificate for the `client-cert-required` scenario. All keys are ECDSA P-256:
//! quick to generate, and every TLS client speaks it.

use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::LabError;

/// The DNS name every good lab leaf is issued for (with `localhost` and `127.0.0.1`).
pub const SERVER_NAME: &str = "mx.lab.tlsdive.test";

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// A certificate with its private key (PKCS#8 DER), ready for rustls.
#[derive(Debug)]
pub struct LeafKey {
    /// The certificate, DER.
    pub cert: CertificateDer<'static>,
    /// The certificate in PEM.
    pub cert_pem: String,
    key_der: Vec<u8>,
    key_pem: String,
}

impl LeafKey {
    /// The private key for rustls.
    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }

    /// The private key, PKCS#8 PEM.
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }
}

/// The lab's public key infrastructure: root, intermediate, and every leaf the scenarios use.
#[derive(Debug)]
pub struct Pki {
    /// The lab root CA certificate (the one clients trust).
    pub root: CertificateDer<'static>,
    root_pem: String,
    /// The lab intermediate CA certificate (issued by the root, issues the server leaves).
    pub intermediate: CertificateDer<'static>,
    intermediate_pem: String,
    /// Good leaf for `mx.lab.tlsdive.test`, `localhost`, `127.0.0.1`, from the intermediate.
    pub server: LeafKey,
    /// Like `server` but expired in 2020.
    pub expired: LeafKey,
    /// Like `server` but valid only from 30 days in the future.
    pub not_yet_valid: LeafKey,
    /// From the intermediate, but only for `wrong.example.net`.
    pub wrong_name: LeafKey,
    /// Good names, but self-signed.
    pub self_signed: LeafKey,
    /// Good names, issued by a rogue CA clients are never given.
    pub untrusted: LeafKey,
    /// The rogue CA itself: sent with `untrusted` so the chain is complete but leads to a
    /// root nobody trusts (a private CA), unlike `ChainIncomplete`.
    pub rogue: CertificateDer<'static>,
    /// Client certificate (client auth), issued directly by the root.
    pub client: LeafKey,
}

impl Pki {
    /// Make a fresh lab PKI. Takes a few milliseconds.
    pub fn generate() -> Result<Pki, LabError> {
        let now = SystemTime::now();
        let (root_params, root_key) = ca_params("tlsdive lab root CA")?;
        let root_cert = root_params.self_signed(&root_key)?;
        let root_issuer = Issuer::new(root_params, root_key);

        let (int_params, int_key) = ca_params("tlsdive lab intermediate CA")?;
        let int_cert = int_params.signed_by(&int_key, &root_issuer)?;
        let int_issuer = Issuer::new(int_params, int_key);

        let (rogue_params, rogue_key) = ca_params("tlsdive lab rogue CA (untrusted)")?;
        let rogue_cert = rogue_params.self_signed(&rogue_key)?;
        let rogue_issuer = Issuer::new(rogue_params, rogue_key);

        let good_names = || {
            vec![
                SERVER_NAME.to_string(),
                "localhost".into(),
                "127.0.0.1".into(),
            ]
        };
        let valid_now = (now - DAY, now + 365 * DAY);

        let server = issue(good_names(), valid_now, Some(&int_issuer), Usage::Server)?;
        let expired = issue(
            good_names(),
            (ymd(2019, 1, 1), ymd(2020, 1, 1)),
            Some(&int_issuer),
            Usage::Server,
        )?;
        let not_yet_valid = issue(
            good_names(),
            (now + 30 * DAY, now + 400 * DAY),
            Some(&int_issuer),
            Usage::Server,
        )?;
        let wrong_name = issue(
            vec!["wrong.example.net".into()],
            valid_now,
            Some(&int_issuer),
            Usage::Server,
        )?;
        let self_signed = issue(good_names(), valid_now, None, Usage::Server)?;
        let untrusted = issue(good_names(), valid_now, Some(&rogue_issuer), Usage::Server)?;
        let client = issue(
            vec!["client.lab.tlsdive.test".into()],
            valid_now,
            Some(&root_issuer),
            Usage::Client,
        )?;

        Ok(Pki {
            root_pem: root_cert.pem(),
            root: root_cert.der().clone(),
            intermediate_pem: int_cert.pem(),
            intermediate: int_cert.der().clone(),
            server,
            expired,
            not_yet_valid,
            wrong_name,
            self_signed,
            untrusted,
            rogue: rogue_cert.der().clone(),
            client,
        })
    }

    /// The lab root CA, PEM: the one trust anchor clients should use.
    pub fn ca_pem(&self) -> String {
        self.root_pem.clone()
    }

    /// The lab intermediate CA, PEM (for clients that want to complete a short chain).
    pub fn intermediate_pem(&self) -> String {
        self.intermediate_pem.clone()
    }

    /// The client certificate accepted by the `client-cert-required` server, PEM.
    pub fn client_cert_pem(&self) -> String {
        self.client.cert_pem.clone()
    }

    /// The private key of [`Pki::client_cert_pem`], PKCS#8 PEM.
    pub fn client_key_pem(&self) -> String {
        self.client.key_pem.clone()
    }
}

enum Usage {
    Server,
    Client,
}

fn ymd(year: i32, month: u8, day: u8) -> SystemTime {
    rcgen::date_time_ymd(year, month, day).into()
}

fn ca_params(common_name: &str) -> Result<(CertificateParams, KeyPair), LabError> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "tlsdive lab");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = ymd(2015, 1, 1).into();
    params.not_after = ymd(2099, 1, 1).into();
    Ok((params, KeyPair::generate()?))
}

/// Issue a leaf for `names`, valid over `validity`, by `issuer` (self-signed if `None`).
fn issue(
    names: Vec<String>,
    validity: (SystemTime, SystemTime),
    issuer: Option<&Issuer<'_, KeyPair>>,
    usage: Usage,
) -> Result<LeafKey, LabError> {
    let common_name = names.first().cloned().unwrap_or_default();
    let mut params = CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "tlsdive lab");
    params.not_before = validity.0.into();
    params.not_after = validity.1.into();
    params.use_authority_key_identifier_extension = issuer.is_some();
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![match usage {
        Usage::Server => ExtendedKeyUsagePurpose::ServerAuth,
        Usage::Client => ExtendedKeyUsagePurpose::ClientAuth,
    }];
    let key = KeyPair::generate()?;
    let cert = match issuer {
        Some(issuer) => params.signed_by(&key, issuer)?,
        None => params.self_signed(&key)?,
    };
    Ok(LeafKey {
        cert_pem: cert.pem(),
        cert: cert.der().clone(),
        key_der: key.serialize_der(),
        key_pem: key.serialize_pem(),
    })
}
