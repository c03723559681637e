//! Real handshakes through the wire tracker.
//!
//! A rustls client and server talk in memory (`write_tls` / `read_tls` into byte buffers,
//! no sockets), the bytes are captured per direction in the order they were written, and
//! the `Tracker` must find in them what rustls itself negotiated. The same captures are kept
//! in `assets/handshakes/*.hex` for the benchmark and the robustness test; the `#[ignore]`d
//! `regenerate_fixtures` rewrites them. tls-parser serves as an independent oracle for the
//! ClientHello.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::crypto::{CryptoProvider, SupportedKxGroup, aws_lc_rs};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use tlsdive::wire::transcript::{self, Chunk};
use tlsdive::wire::{
    ClientHelloInfo, Dir, MessageInfo, RecordInfo, ServerHelloInfo, Tracker, extension_name,
    group_name, suite_name,
};

type Res<T> = Result<T, Box<dyn std::error::Error>>;
type Versions = &'static [&'static rustls::SupportedProtocolVersion];

/// A CA and a leaf for "localhost", so a TLS 1.2 Certificate message carries two.
struct Pki {
    ca: CertificateDer<'static>,
    leaf: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

fn pki() -> Res<Pki> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, &ca_key);
    let leaf_key = KeyPair::generate()?;
    let leaf =
        CertificateParams::new(vec!["localhost".to_owned()])?.signed_by(&leaf_key, &issuer)?;
    Ok(Pki {
        ca: ca.der().clone(),
        leaf: leaf.der().clone(),
        key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
    })
}

fn provider(groups: Option<Vec<&'static dyn SupportedKxGroup>>) -> Arc<CryptoProvider> {
    let mut p = aws_lc_rs::default_provider();
    if let Some(groups) = groups {
        p.kx_groups = groups;
    }
    Arc::new(p)
}

/// One scenario: who supports what. `None` means rustls' defaults.
#[derive(Default)]
struct Case {
    client_versions: Option<Versions>,
    server_versions: Option<Versions>,
    client_groups: Option<Vec<&'static dyn SupportedKxGroup>>,
    server_groups: Option<Vec<&'static dyn SupportedKxGroup>>,
    server_fragment: Option<usize>,
}

/// What one run produced: the capture and rustls' own view of the result.
struct Run {
    chunks: Vec<Chunk>,
    client: ClientConnection,
    client_error: Option<rustls::Error>,
    server_error: Option<rustls::Error>,
}

fn run(case: Case) -> Res<Run> {
    let pki = pki()?;
    let all = rustls::ALL_VERSIONS;
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca.clone())?;
    let client_cfg = ClientConfig::builder_with_provider(provider(case.client_groups))
        .with_protocol_versions(case.client_versions.unwrap_or(all))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut server_cfg = ServerConfig::builder_with_provider(provider(case.server_groups))
        .with_protocol_versions(case.server_versions.unwrap_or(all))?
        .with_no_client_auth()
        .with_single_cert(vec![pki.leaf, pki.ca], pki.key)?;
    server_cfg.max_fragment_size = case.server_fragment;
    let name = ServerName::try_from("localhost")?;
    let mut client = ClientConnection::new(Arc::new(client_cfg), name)?;
    let mut server = ServerConnection::new(Arc::new(server_cfg))?;

    let mut chunks = Vec::new();
    let (mut client_error, mut server_error) = (None, None);
    let mut said_ehlo = false;
    for _round in 0..20 {
        let before = chunks.len();
        // Once the client is done, it speaks first on the protected channel, as SMTP does.
        if !client.is_handshaking() && !said_ehlo && client_error.is_none() {
            std::io::Write::write_all(&mut client.writer(), b"EHLO client.example\r\n")?;
            said_ehlo = true;
        }
        while client.wants_write() {
            let mut buf = Vec::new();
            client.write_tls(&mut buf)?;
            deliver(&buf, &mut server, &mut server_error)?;
            chunks.push((Dir::Client, buf));
        }
        if said_ehlo && server_error.is_none() && !server.is_handshaking() {
            let mut got = Vec::new();
            let _ = std::io::Read::read_to_end(&mut server.reader(), &mut got);
            if !got.is_empty() {
                std::io::Write::write_all(&mut server.writer(), b"250 ok\r\n")?;
            }
        }
        while server.wants_write() {
            let mut buf = Vec::new();
            server.write_tls(&mut buf)?;
            deliver(&buf, &mut client, &mut client_error)?;
            chunks.push((Dir::Server, buf));
        }
        if chunks.len() == before {
            break;
        }
    }
    Ok(Run {
        chunks,
        client,
        client_error,
        server_error,
    })
}

/// Hands `bytes` to a peer, remembering the first error it reports.
fn deliver<S>(
    bytes: &[u8],
    peer: &mut rustls::ConnectionCommon<S>,
    error: &mut Option<rustls::Error>,
) -> Res<()>
where
    S: rustls::SideData,
{
    if error.is_some() {
        return Ok(());
    }
    let mut rd = bytes;
    while !rd.is_empty() {
        peer.read_tls(&mut rd)?;
        if let Err(e) = peer.process_new_packets() {
            *error = Some(e);
            return Ok(());
        }
    }
    Ok(())
}

const TLS13_ONLY: Versions = &[&rustls::version::TLS13];
const TLS12_ONLY: Versions = &[&rustls::version::TLS12];

/// The scenarios kept as fixtures: (file stem, description, case).
fn cases() -> Vec<(&'static str, &'static str, Case)> {
    use aws_lc_rs::kx_group::{SECP384R1, X25519MLKEM768};
    vec![
        (
            "tls13",
            "TLS 1.3, rustls defaults on both sides, EHLO / 250 after",
            Case::default(),
        ),
        (
            "tls12",
            "TLS 1.2-only server, client offers 1.3 and 1.2; CA + leaf chain",
            Case {
                server_versions: Some(TLS12_ONLY),
                ..Case::default()
            },
        ),
        (
            "tls12-fragmented",
            "TLS 1.2-only server with max_fragment_size 512: Certificate spans records",
            Case {
                server_versions: Some(TLS12_ONLY),
                server_fragment: Some(512),
                ..Case::default()
            },
        ),
        (
            "hrr",
            "TLS 1.3 HelloRetryRequest: client shares X25519MLKEM768, server only secp384r1",
            Case {
                client_groups: Some(vec![X25519MLKEM768, SECP384R1]),
                server_groups: Some(vec![SECP384R1]),
                ..Case::default()
            },
        ),
        (
            "alert-protocol-version",
            "TLS 1.3-only client, TLS 1.2-only server: fatal protocol_version alert",
            Case {
                client_versions: Some(TLS13_ONLY),
                server_versions: Some(TLS12_ONLY),
                ..Case::default()
            },
        ),
    ]
}

fn case(stem: &str) -> Res<Case> {
    cases()
        .into_iter()
        .find(|(s, _, _)| *s == stem)
        .map(|(_, _, c)| c)
        .ok_or_else(|| format!("no case {stem}").into())
}

type Seen = Vec<(Dir, RecordInfo)>;

fn track(chunks: &[Chunk]) -> (Tracker, Seen) {
    let mut t = Tracker::new();
    let mut out = Vec::new();
    for (dir, bytes) in chunks {
        out.extend(t.feed(*dir, bytes).into_iter().map(|r| (*dir, r)));
    }
    (t, out)
}

fn records(seen: &Seen, dir: Dir) -> Vec<&RecordInfo> {
    seen.iter()
        .filter(|(d, _)| *d == dir)
        .map(|(_, r)| r)
        .collect()
}

fn messages(seen: &Seen, dir: Dir) -> Vec<MessageInfo> {
    records(seen, dir)
        .into_iter()
        .flat_map(|r| r.messages.clone())
        .collect()
}

fn client_hellos(seen: &Seen) -> Vec<ClientHelloInfo> {
    messages(seen, Dir::Client)
        .into_iter()
        .filter_map(|m| match m {
            MessageInfo::ClientHello(ch) => Some(ch),
            _ => None,
        })
        .collect()
}

fn server_hello(seen: &Seen) -> Option<ServerHelloInfo> {
    messages(seen, Dir::Server)
        .into_iter()
        .find_map(|m| match m {
            MessageInfo::ServerHello(sh) => Some(sh),
            _ => None,
        })
}

fn assert_no_malformed(seen: &Seen) {
    for (dir, r) in seen {
        for m in &r.messages {
            assert!(!matches!(m, MessageInfo::Malformed { .. }), "{dir:?} {r:?}");
        }
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn tls13_handshake() -> Res<()> {
    let run = run(case("tls13")?)?;
    assert!(run.client_error.is_none() && run.server_error.is_none());
    let (t, seen) = track(&run.chunks);
    assert_no_malformed(&seen);

    let chs = client_hellos(&seen);
    let [ch] = chs.as_slice() else {
        panic!("one ClientHello expected: {chs:?}")
    };
    assert_eq!(ch.versions, ["TLSv1.3", "TLSv1.2"]);
    assert_eq!(ch.legacy_version, "TLSv1.2");
    assert_eq!(ch.sni.as_deref(), Some("localhost"));
    let first_share = ch.key_shares.first().ok_or("no key share")?;
    assert_eq!(first_share.0, "X25519MLKEM768");
    assert_eq!(
        first_share.1,
        1184 + 32,
        "ML-KEM-768 encapsulation key + X25519"
    );
    assert!(ch.groups.contains(&"X25519".to_owned()));
    assert!(
        ch.signature_algorithms
            .contains(&"ECDSA_NISTP256_SHA256".to_owned())
    );
    assert_eq!(t.client_hello_size(), Some(ch.size));

    let sh = server_hello(&seen).ok_or("no ServerHello")?;
    let suite = run.client.negotiated_cipher_suite().ok_or("no suite")?;
    assert_eq!(sh.version, "TLSv1.3");
    assert_eq!(sh.cipher_suite, suite_name(u16::from(suite.suite())));
    assert_eq!(sh.group.as_deref(), Some("X25519MLKEM768"));
    assert_eq!(t.negotiated_version(), Some(0x0304));
    assert_eq!(t.negotiated_group(), Some(0x11ec));
    assert!(!t.hello_retry_requested());

    // After the ServerHello: one camouflage CCS, then only encrypted records.
    let server = records(&seen, Dir::Server);
    let after = server.get(1..).unwrap_or_default();
    let (ccs, rest) = after.split_first().ok_or("nothing after ServerHello")?;
    assert_eq!(ccs.messages, [MessageInfo::ChangeCipherSpec]);
    // rustls packs EE/Certificate/CertificateVerify/Finished into one record; then the
    // tickets and our "250 ok".
    assert!(rest.len() >= 3, "{rest:?}");
    for r in rest {
        assert!(r.encrypted && r.content_type == "application_data", "{r:?}");
        assert_eq!(r.messages, [MessageInfo::Encrypted { length: r.length }]);
    }
    let client = messages(&seen, Dir::Client);
    let ccs_count = client
        .iter()
        .filter(|m| **m == MessageInfo::ChangeCipherSpec)
        .count();
    assert_eq!(ccs_count, 1);
    assert!(
        !t.is_encrypted(Dir::Client),
        "a TLS 1.3 CCS switches nothing"
    );
    Ok(())
}

#[test]
fn tls12_handshake() -> Res<()> {
    let run = run(case("tls12")?)?;
    assert!(run.client_error.is_none() && run.server_error.is_none());
    let (t, seen) = track(&run.chunks);
    assert_no_malformed(&seen);

    let sh = server_hello(&seen).ok_or("no ServerHello")?;
    let suite = run.client.negotiated_cipher_suite().ok_or("no suite")?;
    assert_eq!(sh.version, "TLSv1.2");
    assert_eq!(sh.cipher_suite, suite_name(u16::from(suite.suite())));
    assert!(sh.cipher_suite.starts_with("TLS_ECDHE_ECDSA_WITH_"));
    assert_eq!(sh.group, None);
    assert!(sh.extensions.contains(&"extended_master_secret".to_owned()));

    // rustls sends ServerHello .. ServerHelloDone as one record.
    let first = records(&seen, Dir::Server)
        .first()
        .map(|r| r.messages.len());
    assert_eq!(first, Some(4));
    let server = messages(&seen, Dir::Server);
    let cert = server.iter().find_map(|m| match m {
        MessageInfo::Certificate { count, sizes, .. } => Some((*count, sizes.clone())),
        _ => None,
    });
    let (count, sizes) = cert.ok_or("no Certificate")?;
    assert_eq!(count, 2);
    assert!(sizes.iter().all(|s| (200..2000).contains(s)), "{sizes:?}");
    let kx = run
        .client
        .negotiated_key_exchange_group()
        .ok_or("no group")?;
    let want_group = group_name(u16::from(kx.name()));
    assert!(server.contains(&MessageInfo::ServerHelloDone));
    assert!(server.iter().any(|m| matches!(m,
        MessageInfo::ServerKeyExchange { group: Some(g), .. } if *g == want_group)));
    assert_eq!(t.negotiated_group(), Some(u16::from(kx.name())));

    let client = messages(&seen, Dir::Client);
    assert!(
        client
            .iter()
            .any(|m| matches!(m, MessageInfo::ClientKeyExchange { .. }))
    );
    for dir in [Dir::Client, Dir::Server] {
        // CCS, then the Finished record: handshake type, but ciphertext.
        let mut seq = records(&seen, dir).into_iter();
        let ccs = seq
            .by_ref()
            .find(|r| r.content_type == "change_cipher_spec");
        assert!(ccs.is_some(), "{dir:?} sent no CCS");
        let finished = seq.next().ok_or("nothing after CCS")?;
        assert_eq!(finished.content_type, "handshake");
        assert!(finished.encrypted);
        assert!(t.is_encrypted(dir));
    }
    assert_eq!(t.negotiated_version(), Some(0x0303));
    Ok(())
}

#[test]
fn tls12_certificate_across_records() -> Res<()> {
    let run = run(case("tls12-fragmented")?)?;
    assert!(run.client_error.is_none() && run.server_error.is_none());
    let (_, seen) = track(&run.chunks);
    assert_no_malformed(&seen);
    let plain: Vec<&RecordInfo> = records(&seen, Dir::Server)
        .into_iter()
        .filter(|r| r.content_type == "handshake" && !r.encrypted)
        .collect();
    assert!(plain.iter().all(|r| r.length <= 512));
    let certs: Vec<&Vec<usize>> = plain
        .iter()
        .flat_map(|r| &r.messages)
        .filter_map(|m| match m {
            MessageInfo::Certificate { sizes, .. } => Some(sizes),
            _ => None,
        })
        .collect();
    let [sizes] = certs.as_slice() else {
        panic!("one Certificate expected: {certs:?}")
    };
    assert_eq!(sizes.len(), 2);
    // Handshake header, list length, and a length before each DER certificate.
    let message_len: usize = 4 + 3 + sizes.iter().map(|s| 3 + s).sum::<usize>();
    assert!(message_len > 512, "the Certificate message spans records");
    assert!(plain.len() >= 2, "{plain:?}");
    Ok(())
}

#[test]
fn hello_retry_request() -> Res<()> {
    let run = run(case("hrr")?)?;
    assert!(run.client_error.is_none() && run.server_error.is_none());
    let (t, seen) = track(&run.chunks);
    assert_no_malformed(&seen);
    let hrr = messages(&seen, Dir::Server)
        .into_iter()
        .find_map(|m| match m {
            MessageInfo::HelloRetryRequest(h) => Some(h),
            _ => None,
        })
        .ok_or("no HelloRetryRequest")?;
    assert_eq!(hrr.group.as_deref(), Some("secp384r1"));
    assert_eq!(hrr.version, "TLSv1.3");
    assert!(t.hello_retry_requested());

    let chs = client_hellos(&seen);
    let [first, second] = chs.as_slice() else {
        panic!("two ClientHellos expected: {chs:?}")
    };
    let first_share = first.key_shares.first().map(|k| k.0.as_str());
    assert_eq!(first_share, Some("X25519MLKEM768"));
    assert_eq!(second.key_shares, [("secp384r1".to_owned(), 97)]);
    assert_eq!(
        t.client_hello_size(),
        Some(first.size),
        "the first ClientHello's size is kept"
    );

    let sh = server_hello(&seen).ok_or("no ServerHello")?;
    assert_eq!(sh.group.as_deref(), Some("secp384r1"));
    assert_eq!(t.negotiated_group(), Some(0x0018));
    assert_eq!(t.negotiated_version(), Some(0x0304));
    Ok(())
}

#[test]
fn protocol_version_alert() -> Res<()> {
    let run = run(case("alert-protocol-version")?)?;
    assert!(run.server_error.is_some());
    let (t, seen) = track(&run.chunks);
    let server = messages(&seen, Dir::Server);
    let [MessageInfo::Alert(alert)] = server.as_slice() else {
        panic!("one alert expected: {server:?}")
    };
    assert_eq!(alert.level, "fatal");
    assert_eq!(alert.description, "protocol_version");
    assert_eq!(alert.code, 70);
    assert_eq!(t.negotiated_version(), None);
    let versions = client_hellos(&seen).first().map(|c| c.versions.clone());
    assert_eq!(versions, Some(names(&["TLSv1.3"])));
    Ok(())
}

/// tls-parser decodes the same ClientHello bytes: same suites and extensions, in order.
#[test]
fn client_hello_matches_tls_parser() -> Res<()> {
    use tls_parser::{TlsExtensionType, TlsMessage, TlsMessageHandshake};
    for (stem, _, case) in cases() {
        let run = run(case)?;
        let (_, seen) = track(&run.chunks);
        let ours = client_hellos(&seen);
        let mine = ours.first().ok_or("no ClientHello")?;
        let first = run.chunks.first().ok_or("empty capture")?;
        let (_, plain) =
            tls_parser::parse_tls_plaintext(&first.1).map_err(|e| format!("{stem}: {e:?}"))?;
        let Some(TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch))) = plain.msg.first()
        else {
            panic!("{stem}: tls-parser saw no ClientHello");
        };
        let suites: Vec<String> = ch.ciphers.iter().map(|c| suite_name(c.0)).collect();
        let (_, exts) = tls_parser::parse_tls_client_hello_extensions(ch.ext.unwrap_or_default())
            .map_err(|e| format!("{stem}: {e:?}"))?;
        let exts: Vec<String> = exts
            .iter()
            .map(|e| extension_name(TlsExtensionType::from(e).0))
            .collect();
        assert_eq!(mine.cipher_suites, suites, "{stem}");
        assert_eq!(mine.extensions, exts, "{stem}");
        assert!(!suites.is_empty() && !exts.is_empty(), "{stem}");
    }
    Ok(())
}

fn fixture_path(stem: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/handshakes")
        .join(format!("{stem}.hex"))
}

/// Rewrites `assets/handshakes/*.hex` from fresh runs:
/// `cargo test --test wire_handshakes -- --ignored regenerate_fixtures`.
#[test]
#[ignore = "rewrites the committed fixtures"]
fn regenerate_fixtures() -> Res<()> {
    for (stem, about, case) in cases() {
        let run = run(case)?;
        let header = format!(
            "{stem}: {about}\n\
             recorded in memory (rustls 0.23 client and server) by tests/wire_handshakes.rs\n\
             one line per write_tls call: C = client to server, S = server to client; hex"
        );
        std::fs::write(fixture_path(stem), transcript::render(&header, &run.chunks))?;
    }
    Ok(())
}

/// The kept captures still decode cleanly, and feeding them one byte at a time, or each
/// run of same-direction writes at once, gives exactly the records feeding them as written
/// gives.
#[test]
fn fixtures_decode_identically_at_any_split() -> Res<()> {
    for (stem, _, _) in cases() {
        let chunks = transcript::parse(&std::fs::read_to_string(fixture_path(stem))?)?;
        let (t, whole) = track(&chunks);
        assert!(t.client_hello_size().is_some(), "{stem}");
        assert_no_malformed(&whole);
        if stem != "alert-protocol-version" {
            assert!(t.negotiated_version().is_some(), "{stem}");
        }
        let mut bytewise = Tracker::new();
        let mut got = Vec::new();
        for (dir, bytes) in &chunks {
            for b in bytes.chunks(1) {
                got.extend(bytewise.feed(*dir, b).into_iter().map(|r| (*dir, r)));
            }
        }
        assert_eq!(got, whole, "{stem}");
        let mut merged: Vec<Chunk> = Vec::new();
        for (dir, bytes) in &chunks {
            match merged.last_mut() {
                Some((d, acc)) if d == dir => acc.extend(bytes),
                _ => merged.push((*dir, bytes.clone())),
            }
        }
        assert_eq!(track(&merged).1, whole, "{stem}");
    }
    Ok(())
}
