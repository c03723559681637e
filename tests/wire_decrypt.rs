//! TLS 1.3 handshake records decrypted with the secrets rustls hands to its `KeyLog`: an
//! in-memory rustls client and a server that asks for a client certificate; the server's
//! encrypted flight must read EncryptedExtensions, CertificateRequest, Certificate,
//! CertificateVerify, Finished — and a wrong secret must fail authentication, not guess.

use std::sync::{Arc, Mutex};

use rustls::pki_types::ServerName;
use tlsdive::wire::decrypt::{DecryptError, RecordKeys};
use tlsdive::wire::tls13::{MAX_WAITING, Unprotected};
use tlsdive::wire::{Dir, MessageInfo, Tracker};

#[derive(Debug, Default)]
struct Secrets(Mutex<Vec<(String, Vec<u8>)>>);

impl rustls::KeyLog for Secrets {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        if let Ok(mut s) = self.0.lock() {
            s.push((label.to_owned(), secret.to_vec()));
        }
    }
    fn will_log(&self, _label: &str) -> bool {
        true
    }
}

/// Each side's flights in the order they were sent.
type Flights = Vec<(Dir, Vec<u8>)>;
/// (label, secret) as the client's KeyLog saw them.
type Logged = Vec<(String, Vec<u8>)>;

/// Runs a handshake in memory; returns the server's bytes, the client's secrets, and both
/// sides' flights in order.
fn handshake(suite: rustls::SupportedCipherSuite) -> (Vec<u8>, Logged, Flights) {
    let pki = tlsdive::lab::Pki::generate().expect("lab PKI");
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider.cipher_suites = vec![suite];
    let provider = Arc::new(provider);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.root.clone()).unwrap();
    let roots = Arc::new(roots);
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        roots.clone(),
        provider.clone(),
    )
    .build()
    .unwrap();
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![pki.server.cert.clone(), pki.intermediate.clone()],
            pki.server.key(),
        )
        .unwrap();
    let secrets = Arc::new(Secrets::default());
    let mut client = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(vec![pki.client.cert.clone()], pki.client.key())
        .unwrap();
    client.key_log = secrets.clone();
    let name = ServerName::try_from(tlsdive::lab::SERVER_NAME).unwrap();
    let mut c = rustls::ClientConnection::new(Arc::new(client), name).unwrap();
    let mut s = rustls::ServerConnection::new(Arc::new(server)).unwrap();
    let mut from_server = Vec::new();
    let mut flights = Vec::new();
    for _ in 0..10 {
        let mut buf = Vec::new();
        while c.wants_write() {
            c.write_tls(&mut buf).unwrap();
        }
        flights.push((Dir::Client, buf.clone()));
        s.read_tls(&mut buf.as_slice()).unwrap();
        s.process_new_packets().unwrap();
        let mut buf = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut buf).unwrap();
        }
        from_server.extend(&buf);
        flights.push((Dir::Server, buf.clone()));
        c.read_tls(&mut buf.as_slice()).unwrap();
        c.process_new_packets().unwrap();
        if !c.is_handshaking() && !s.is_handshaking() {
            break;
        }
    }
    let secrets = secrets.0.lock().unwrap().clone();
    (from_server, secrets, flights)
}

/// The handshake types in the server's encrypted handshake records.
fn server_handshake_types(bytes: &[u8], keys: &mut RecordKeys) -> Result<Vec<u8>, DecryptError> {
    let mut rest = bytes;
    let mut plain = Vec::new();
    let mut types = Vec::new();
    while rest.len() >= 5 {
        let header: [u8; 5] = rest[..5].try_into().unwrap();
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let payload = &rest[5..5 + len];
        rest = &rest[5 + len..];
        if header[0] != 23 {
            continue; // ServerHello, ChangeCipherSpec: in the clear
        }
        let opened = keys.open(&header, payload)?;
        assert_eq!(opened.content_type, 22, "handshake flight");
        plain.extend(opened.plaintext);
        types.clear();
        let mut m = plain.as_slice();
        while m.len() >= 4 {
            let len = u32::from_be_bytes([0, m[1], m[2], m[3]]) as usize;
            types.push(m[0]);
            m = &m[(4 + len).min(m.len())..];
        }
        if types.last() == Some(&20) {
            break; // Finished: what follows (NewSessionTicket) is under the application keys
        }
    }
    Ok(types)
}

#[test]
fn the_servers_flight_reads_as_handshake_messages_with_certificate_request() {
    use rustls::crypto::aws_lc_rs::cipher_suite as cs;
    for (suite, value) in [
        (cs::TLS13_AES_128_GCM_SHA256, 0x1301),
        (cs::TLS13_AES_256_GCM_SHA384, 0x1302),
        (cs::TLS13_CHACHA20_POLY1305_SHA256, 0x1303),
    ] {
        let (bytes, secrets, _) = handshake(suite);
        let secret = &secrets
            .iter()
            .find(|(l, _)| l == "SERVER_HANDSHAKE_TRAFFIC_SECRET")
            .expect("server handshake secret")
            .1;
        let mut keys = RecordKeys::new(value, secret).unwrap();
        let types = server_handshake_types(&bytes, &mut keys).unwrap();
        // EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify, Finished.
        assert_eq!(types, [8, 13, 11, 15, 20], "suite 0x{value:04x}");
        // The client's secret is not the server's: authentication fails, nothing is guessed.
        let wrong = &secrets
            .iter()
            .find(|(l, _)| l == "CLIENT_HANDSHAKE_TRAFFIC_SECRET")
            .unwrap()
            .1;
        let mut keys = RecordKeys::new(value, wrong).unwrap();
        assert_eq!(
            server_handshake_types(&bytes, &mut keys),
            Err(DecryptError::Auth(0))
        );
    }
    assert!(matches!(
        RecordKeys::new(0xc02f, &[0; 32]),
        Err(DecryptError::UnknownSuite(0xc02f))
    ));
    assert!(matches!(
        RecordKeys::new(0x1302, &[0; 32]),
        Err(DecryptError::BadSecret)
    ));
}

/// Every decrypted message of `dir`, from what the tracker handed out.
fn opened(found: &[Unprotected], dir: Dir) -> Vec<MessageInfo> {
    found
        .iter()
        .filter_map(|u| match u {
            Unprotected::Record(d) if d.dir == dir => Some(d.messages.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn the_tracker_opens_records_that_arrived_before_their_keys() {
    let suite = rustls::crypto::aws_lc_rs::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256;
    let (_, secrets, flights) = handshake(suite);
    let mut t = Tracker::new();
    for (dir, bytes) in &flights {
        t.feed(*dir, bytes);
    }
    // As in a live connection, the records came first: nothing to open yet.
    assert!(t.take_decrypted().is_empty());
    for (label, secret) in &secrets {
        t.add_secret(label, secret);
    }
    let found = t.take_decrypted();
    let server = opened(&found, Dir::Server);
    let kinds: Vec<&str> = server
        .iter()
        .map(|m| match m {
            MessageInfo::EncryptedExtensions { .. } => "EE",
            MessageInfo::CertificateRequest { .. } => "CR",
            MessageInfo::Certificate { .. } => "C",
            MessageInfo::CertificateVerify { .. } => "CV",
            MessageInfo::Finished { .. } => "F",
            MessageInfo::NewSessionTicket { .. } => "NST",
            _ => "?",
        })
        .collect();
    assert_eq!(
        kinds.get(..5),
        Some(&["EE", "CR", "C", "CV", "F"][..]),
        "{server:?}"
    );
    let Some(MessageInfo::CertificateRequest { authorities, .. }) = server.get(1) else {
        panic!("{server:?}")
    };
    assert_eq!(authorities.len(), 1, "{authorities:?}");
    assert!(
        authorities[0].contains("CN=tlsdive lab root CA"),
        "{authorities:?}"
    );
    // Our own flight: the client certificate, its signature and Finished.
    let ours = opened(&found, Dir::Client);
    assert!(
        matches!(
            ours.as_slice(),
            [
                MessageInfo::Certificate { count: 1, .. },
                MessageInfo::CertificateVerify { .. },
                MessageInfo::Finished { .. },
                ..
            ]
        ),
        "{ours:?}"
    );
    // Each record is handed out once.
    assert!(t.take_decrypted().is_empty());
}

#[test]
fn records_waiting_for_keys_that_never_come_are_bounded() {
    let suite = rustls::crypto::aws_lc_rs::cipher_suite::TLS13_AES_128_GCM_SHA256;
    let (_, _, flights) = handshake(suite);
    let mut t = Tracker::new();
    // The ClientHello and the server's first flight (ServerHello onwards).
    for (dir, bytes) in flights.iter().take(2) {
        t.feed(*dir, bytes);
    }
    let junk = [23u8, 3, 3, 0, 20]
        .into_iter()
        .chain([0u8; 20])
        .collect::<Vec<u8>>()
        .repeat(MAX_WAITING + 10);
    t.feed(Dir::Server, &junk);
    let found = t.take_decrypted();
    assert!(
        matches!(found.as_slice(), [Unprotected::Stopped { dir: Dir::Server, why, .. }] if why.contains("before their keys")),
        "{found:?}"
    );
    // Keys that come too late open nothing and say nothing more.
    t.add_secret("SERVER_HANDSHAKE_TRAFFIC_SECRET", &[7; 32]);
    assert!(t.take_decrypted().is_empty());
}

#[test]
fn a_wrong_secret_stops_decryption_and_says_so_once() {
    let suite = rustls::crypto::aws_lc_rs::cipher_suite::TLS13_AES_128_GCM_SHA256;
    let (_, _, flights) = handshake(suite);
    let mut t = Tracker::new();
    for (dir, bytes) in &flights {
        t.feed(*dir, bytes);
    }
    t.add_secret("SERVER_HANDSHAKE_TRAFFIC_SECRET", &[7; 32]);
    let found = t.take_decrypted();
    assert!(
        matches!(found.as_slice(), [Unprotected::Stopped { dir: Dir::Server, record: 2, why }] if why.contains("did not authenticate")),
        "{found:?}"
    );
}
