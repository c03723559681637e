//! Integration tests for the lab servers: real TCP on 127.0.0.1, the SMTP dialogue driven
//! by hand, and real rustls client handshakes against the lab CA.
//!
//! No sleeps: "the server sent nothing" is shown by closing our side and reading to EOF,
//! and FIN versus RST by what `read` returns.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{CertificateError, ClientConfig, ProtocolVersion, RootCertStore};
use tlsdive::lab::{self, LabServer, Pki, Scenario};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

// ---------------------------------------------------------------- helpers

fn pki() -> Arc<Pki> {
    static PKI: OnceLock<Arc<Pki>> = OnceLock::new();
    PKI.get_or_init(|| Arc::new(Pki::generate().expect("lab PKI")))
        .clone()
}

async fn server(scenario: Scenario) -> LabServer {
    lab::start(scenario, &pki(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("start lab server")
}

/// Read one (possibly multi-line) SMTP reply byte by byte, so nothing after it is consumed.
async fn read_reply(stream: &mut (impl AsyncReadExt + Unpin)) -> String {
    let mut reply = Vec::new();
    let mut line_start = 0;
    loop {
        let byte = stream.read_u8().await.expect("reply byte");
        reply.push(byte);
        if byte == b'\n' {
            let line = &reply[line_start..];
            if line.len() < 4 || line[3] != b'-' {
                return String::from_utf8_lossy(&reply).into_owned();
            }
            line_start = reply.len();
        }
    }
}

async fn command(stream: &mut (impl AsyncReadExt + AsyncWriteExt + Unpin), line: &str) -> String {
    stream
        .write_all(format!("{line}\r\n").as_bytes())
        .await
        .unwrap();
    read_reply(stream).await
}

/// Connect, read the banner, EHLO, STARTTLS; returns the stream right after the `220`.
async fn starttls(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    assert!(read_reply(&mut stream).await.starts_with("220 "));
    let ehlo = command(&mut stream, "EHLO client.test").await;
    assert!(ehlo.contains("250-STARTTLS\r\n"), "{ehlo}");
    let ready = command(&mut stream, "STARTTLS").await;
    assert_eq!(ready, "220 2.0.0 Ready to start TLS\r\n");
    stream
}

struct ClientOpts {
    versions: &'static [&'static rustls::SupportedProtocolVersion],
    extra_anchor: Option<CertificateDer<'static>>,
    client_cert: bool,
}

const DEFAULT: ClientOpts = ClientOpts {
    versions: rustls::DEFAULT_VERSIONS,
    extra_anchor: None,
    client_cert: false,
};

fn client_config(opts: ClientOpts) -> Arc<ClientConfig> {
    let pki = pki();
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pki.ca_pem().as_bytes()).unwrap())
        .unwrap();
    if let Some(anchor) = opts.extra_anchor {
        roots.add(anchor).unwrap();
    }
    let builder = ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_protocol_versions(opts.versions)
    .unwrap()
    .with_root_certificates(roots);
    let config = if opts.client_cert {
        let cert = CertificateDer::from_pem_slice(pki.client_cert_pem().as_bytes()).unwrap();
        let key = PrivateKeyDer::from_pem_slice(pki.client_key_pem().as_bytes()).unwrap();
        builder.with_client_auth_cert(vec![cert], key).unwrap()
    } else {
        builder.with_no_client_auth()
    };
    Arc::new(config)
}

async fn handshake(
    stream: TcpStream,
    opts: ClientOpts,
    name: &'static str,
) -> std::io::Result<TlsStream<TcpStream>> {
    let name = ServerName::try_from(name).unwrap();
    TlsConnector::from(client_config(opts))
        .connect(name, stream)
        .await
}

fn rustls_error(err: &std::io::Error) -> &rustls::Error {
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .unwrap_or_else(|| panic!("not a rustls error: {err:?}"))
}

fn cert_error(err: &std::io::Error) -> &CertificateError {
    match rustls_error(err) {
        rustls::Error::InvalidCertificate(cert) => cert,
        other => panic!("not a certificate error: {other:?}"),
    }
}

/// EHLO over TLS (no STARTTLS offered any more), then QUIT.
async fn ehlo_quit_over_tls(tls: &mut TlsStream<TcpStream>) {
    let ehlo = command(tls, "EHLO client.test").await;
    assert!(ehlo.starts_with("250-mx.lab.tlsdive.test\r\n"), "{ehlo}");
    assert!(ehlo.ends_with("250 8BITMIME\r\n"), "{ehlo}");
    assert!(!ehlo.contains("STARTTLS"), "{ehlo}");
    assert_eq!(command(tls, "QUIT").await, "221 2.0.0 bye\r\n");
}

/// A syntactically plausible handshake record (ClientHello type, tiny body).
const FAKE_CLIENT_HELLO: &[u8] = &[0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00];

// ---------------------------------------------------------------- SMTP-level faults

#[tokio::test]
async fn healthy_dialogue_in_plaintext() {
    let srv = server(Scenario::Healthy).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    assert_eq!(
        read_reply(&mut s).await,
        "220 mx.lab.tlsdive.test ESMTP tlsdive-lab healthy\r\n"
    );
    assert_eq!(
        command(&mut s, "EHLO client.test").await,
        "250-mx.lab.tlsdive.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n\
         250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n"
    );
    assert_eq!(
        command(&mut s, "HELO client.test").await,
        "250 mx.lab.tlsdive.test\r\n"
    );
    assert!(command(&mut s, "NOOP").await.starts_with("250 "));
    assert!(command(&mut s, "rset").await.starts_with("250 "));
    assert!(
        command(&mut s, "MAIL FROM:<a@b.test>")
            .await
            .starts_with("502 5.5.2")
    );
    assert_eq!(command(&mut s, "QUIT").await, "221 2.0.0 bye\r\n");
    assert_eq!(s.read(&mut [0u8; 16]).await.unwrap(), 0, "FIN after QUIT");
}

#[tokio::test]
async fn no_starttls_not_offered_and_refused() {
    let srv = server(Scenario::NoStarttls).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    read_reply(&mut s).await;
    let ehlo = command(&mut s, "EHLO client.test").await;
    assert!(
        !ehlo.contains("STARTTLS") && ehlo.ends_with("250 8BITMIME\r\n"),
        "{ehlo}"
    );
    assert!(command(&mut s, "STARTTLS").await.starts_with("502 5.5.1"));
}

#[tokio::test]
async fn starttls_454() {
    let srv = server(Scenario::Starttls454).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    read_reply(&mut s).await;
    assert!(
        command(&mut s, "EHLO client.test")
            .await
            .contains("250-STARTTLS")
    );
    assert_eq!(
        command(&mut s, "STARTTLS").await,
        "454 4.7.0 TLS not available due to local problem\r\n"
    );
}

#[tokio::test]
async fn close_after_starttls_is_fin() {
    let srv = server(Scenario::CloseAfterStarttls).await;
    let mut s = starttls(srv.addr).await;
    assert_eq!(s.read(&mut [0u8; 16]).await.unwrap(), 0);
}

#[tokio::test]
async fn close_after_client_hello_is_fin() {
    let srv = server(Scenario::CloseAfterClientHello).await;
    let mut s = starttls(srv.addr).await;
    s.write_all(FAKE_CLIENT_HELLO).await.unwrap();
    assert_eq!(s.read(&mut [0u8; 16]).await.unwrap(), 0);
}

#[tokio::test]
async fn close_after_client_hello_fails_a_real_handshake() {
    let srv = server(Scenario::CloseAfterClientHello).await;
    let err = handshake(starttls(srv.addr).await, DEFAULT, "localhost")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err:?}");
}

#[tokio::test]
async fn reset_after_client_hello_is_rst() {
    let srv = server(Scenario::ResetAfterClientHello).await;
    let mut s = starttls(srv.addr).await;
    s.write_all(FAKE_CLIENT_HELLO).await.unwrap();
    let err = s.read(&mut [0u8; 16]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
}

#[tokio::test]
async fn fatal_alert_bytes_then_fin() {
    let srv = server(Scenario::FatalAlert).await;
    let mut s = starttls(srv.addr).await;
    s.write_all(FAKE_CLIENT_HELLO).await.unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50]);
}

#[tokio::test]
async fn fatal_alert_seen_by_rustls() {
    let srv = server(Scenario::FatalAlert).await;
    let err = handshake(starttls(srv.addr).await, DEFAULT, "localhost")
        .await
        .unwrap_err();
    assert_eq!(
        rustls_error(&err),
        &rustls::Error::AlertReceived(rustls::AlertDescription::InternalError)
    );
}

#[tokio::test]
async fn handshake_stall_never_answers_the_client_hello() {
    let srv = server(Scenario::HandshakeStall).await;
    let mut s = starttls(srv.addr).await;
    s.write_all(FAKE_CLIENT_HELLO).await.unwrap();
    s.shutdown().await.unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).await.unwrap();
    assert!(got.is_empty(), "{got:?}");
}

#[tokio::test]
async fn slow_banner_sends_nothing() {
    let srv = server(Scenario::SlowBanner).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(b"EHLO client.test\r\n").await.unwrap();
    s.shutdown().await.unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).await.unwrap();
    assert!(got.is_empty(), "{got:?}");
}

#[tokio::test]
async fn banner_421_then_close() {
    let srv = server(Scenario::Banner421).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    let mut got = String::new();
    s.read_to_string(&mut got).await.unwrap();
    assert_eq!(
        got,
        "421 4.3.2 Service not available, closing transmission channel\r\n"
    );
}

#[tokio::test]
async fn not_smtp_greets_like_ssh() {
    let srv = server(Scenario::NotSmtp).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    let mut got = String::new();
    s.read_to_string(&mut got).await.unwrap();
    assert!(got.starts_with("SSH-2.0-"), "{got}");
}

#[tokio::test]
async fn ehlo_and_helo_rejected() {
    let srv = server(Scenario::EhloRejected).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    read_reply(&mut s).await;
    assert_eq!(
        command(&mut s, "EHLO client.test").await,
        "550 5.7.1 EHLO rejected\r\n"
    );
    assert_eq!(
        command(&mut s, "HELO client.test").await,
        "550 5.7.1 EHLO rejected\r\n"
    );
}

#[tokio::test]
async fn hostile_bytes_in_banner_then_normal() {
    let srv = server(Scenario::HostileBytes).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    let banner = read_reply(&mut s).await;
    assert!(banner.starts_with("220 mx.lab.tlsdive.test ESMTP tlsdive-lab hostile-bytes"));
    for needle in [
        "\x1b[2J",
        "\x1b[31m",
        "\x07",
        "\x1b]0;pwned\x07",
        "\0",
        "\rOVERWRITTEN",
    ] {
        assert!(
            banner.contains(needle),
            "{needle:?} missing from {banner:?}"
        );
    }
    assert!(
        command(&mut s, "EHLO client.test")
            .await
            .contains("250-STARTTLS")
    );
    let ready = command(&mut s, "STARTTLS").await;
    assert!(ready.starts_with("220 "));
    let mut tls = handshake(s, DEFAULT, "localhost").await.unwrap();
    ehlo_quit_over_tls(&mut tls).await;
}

#[tokio::test]
async fn huge_reply_is_huge_and_bounded() {
    let srv = server(Scenario::HugeReply).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    read_reply(&mut s).await;
    s.write_all(b"EHLO client.test\r\n").await.unwrap();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while !got.ends_with(b"250 8BITMIME\r\n") {
        let n = s.read(&mut buf).await.unwrap();
        assert_ne!(n, 0, "EOF before the end of the reply");
        got.extend_from_slice(&buf[..n]);
    }
    let lines: Vec<&[u8]> = got
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert!(lines[0].len() > 1 << 20);
    assert_eq!(lines.len(), 1 + 100_000 + 1);
}

#[tokio::test]
async fn huge_reply_client_leaving_does_not_hurt_the_server() {
    let srv = server(Scenario::HugeReply).await;
    for _ in 0..2 {
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        read_reply(&mut s).await;
        s.write_all(b"EHLO client.test\r\n").await.unwrap();
        let mut first = [0u8; 4];
        s.read_exact(&mut first).await.unwrap();
        assert_eq!(&first, b"250-");
        drop(s);
    }
}

#[tokio::test]
async fn overlong_command_line_closes_only_that_connection() {
    let srv = server(Scenario::Healthy).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    read_reply(&mut s).await;
    s.write_all(&vec![b'A'; lab::MAX_LINE + 100]).await.unwrap();
    // FIN or RST (our unread bytes may trigger a reset): either way, closed.
    let mut rest = Vec::new();
    match s.read_to_end(&mut rest).await {
        Ok(_) => assert!(rest.is_empty(), "{rest:?}"),
        Err(err) => assert_eq!(err.kind(), ErrorKind::ConnectionReset),
    }
    let mut again = TcpStream::connect(srv.addr).await.unwrap();
    assert!(read_reply(&mut again).await.starts_with("220 "));
}

#[tokio::test]
async fn plaintext_injection_arrives_before_tls() {
    let srv = server(Scenario::PlaintextInjection).await;
    let mut s = starttls(srv.addr).await;
    let mut injected = [0u8; 14];
    s.read_exact(&mut injected).await.unwrap();
    assert_eq!(&injected, b"250-INJECTED\r\n");
    let mut tls = handshake(s, DEFAULT, "localhost").await.unwrap();
    ehlo_quit_over_tls(&mut tls).await;
}

// ---------------------------------------------------------------- TLS with a rustls client

#[tokio::test]
async fn healthy_tls13_full_chain() {
    let srv = server(Scenario::Healthy).await;
    let mut tls = handshake(starttls(srv.addr).await, DEFAULT, "localhost")
        .await
        .unwrap();
    let (_, conn) = tls.get_ref();
    assert_eq!(conn.protocol_version(), Some(ProtocolVersion::TLSv1_3));
    assert_eq!(conn.peer_certificates().map(<[_]>::len), Some(2));
    assert!(command(&mut tls, "STARTTLS").await.starts_with("503 "));
    ehlo_quit_over_tls(&mut tls).await;
}

#[tokio::test]
async fn healthy_verifies_by_ip_and_by_mx_name() {
    let srv = server(Scenario::Healthy).await;
    for name in ["127.0.0.1", "mx.lab.tlsdive.test"] {
        let mut tls = handshake(starttls(srv.addr).await, DEFAULT, name)
            .await
            .unwrap();
        ehlo_quit_over_tls(&mut tls).await;
    }
}

#[tokio::test]
async fn tls12_only_negotiates_tls12() {
    let srv = server(Scenario::Tls12Only).await;
    let mut tls = handshake(starttls(srv.addr).await, DEFAULT, "localhost")
        .await
        .unwrap();
    assert_eq!(
        tls.get_ref().1.protocol_version(),
        Some(ProtocolVersion::TLSv1_2)
    );
    ehlo_quit_over_tls(&mut tls).await;
}

#[tokio::test]
async fn tls13_only_refuses_a_tls12_client() {
    let srv = server(Scenario::Tls13Only).await;
    const TLS12: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
    let opts = ClientOpts {
        versions: TLS12,
        ..DEFAULT
    };
    let err = handshake(starttls(srv.addr).await, opts, "localhost")
        .await
        .unwrap_err();
    assert_eq!(
        rustls_error(&err),
        &rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion)
    );
}

#[tokio::test]
async fn implicit_tls_banner_over_tls() {
    let srv = server(Scenario::ImplicitTls).await;
    assert!(Scenario::ImplicitTls.implicit_tls());
    let s = TcpStream::connect(srv.addr).await.unwrap();
    let mut tls = handshake(s, DEFAULT, "localhost").await.unwrap();
    assert_eq!(
        read_reply(&mut tls).await,
        "220 mx.lab.tlsdive.test ESMTP tlsdive-lab implicit-tls\r\n"
    );
    ehlo_quit_over_tls(&mut tls).await;
}

#[tokio::test]
async fn certificate_faults_fail_verification() {
    type Check = fn(&CertificateError) -> bool;
    let cases: &[(Scenario, Check)] = &[
        (Scenario::ExpiredCert, |e| {
            matches!(
                e,
                CertificateError::Expired | CertificateError::ExpiredContext { .. }
            )
        }),
        (Scenario::NotYetValidCert, |e| {
            matches!(
                e,
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. }
            )
        }),
        (Scenario::WrongNameCert, |e| {
            matches!(
                e,
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            )
        }),
        (Scenario::SelfSignedCert, |e| {
            matches!(e, CertificateError::UnknownIssuer)
        }),
        (Scenario::UntrustedCert, |e| {
            matches!(e, CertificateError::UnknownIssuer)
        }),
        (Scenario::ChainIncomplete, |e| {
            matches!(e, CertificateError::UnknownIssuer)
        }),
    ];
    for &(scenario, check) in cases {
        let srv = server(scenario).await;
        let err = handshake(starttls(srv.addr).await, DEFAULT, "localhost")
            .await
            .unwrap_err();
        let cert = cert_error(&err);
        assert!(check(cert), "{scenario}: {cert:?}");
    }
}

#[tokio::test]
async fn chain_incomplete_sends_leaf_only_and_verifies_with_intermediate() {
    let srv = server(Scenario::ChainIncomplete).await;
    let opts = ClientOpts {
        extra_anchor: Some(pki().intermediate.clone()),
        ..DEFAULT
    };
    let mut tls = handshake(starttls(srv.addr).await, opts, "localhost")
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.peer_certificates().map(<[_]>::len), Some(1));
    ehlo_quit_over_tls(&mut tls).await;
}

#[tokio::test]
async fn client_cert_required_accepts_the_lab_client_cert() {
    let srv = server(Scenario::ClientCertRequired).await;
    let opts = ClientOpts {
        client_cert: true,
        ..DEFAULT
    };
    let mut tls = handshake(starttls(srv.addr).await, opts, "localhost")
        .await
        .unwrap();
    ehlo_quit_over_tls(&mut tls).await;
}

#[tokio::test]
async fn client_cert_required_rejects_a_client_without_one() {
    let srv = server(Scenario::ClientCertRequired).await;
    // With TLS 1.3 the client finishes its side before the server judges its (empty)
    // certificate, so the alert may arrive on the first read instead.
    let err = match handshake(starttls(srv.addr).await, DEFAULT, "localhost").await {
        Err(err) => err,
        Ok(mut tls) => {
            tls.write_all(b"EHLO client.test\r\n").await.unwrap();
            tls.read(&mut [0u8; 64]).await.unwrap_err()
        }
    };
    assert_eq!(
        rustls_error(&err),
        &rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired)
    );
}

#[tokio::test]
async fn post_tls_close_ends_after_the_handshake() {
    let srv = server(Scenario::PostTlsClose).await;
    let mut tls = handshake(starttls(srv.addr).await, DEFAULT, "localhost")
        .await
        .unwrap();
    tls.write_all(b"EHLO client.test\r\n").await.unwrap();
    assert_eq!(
        tls.read(&mut [0u8; 64]).await.unwrap(),
        0,
        "close_notify then EOF"
    );
}

// ---------------------------------------------------------------- front and serve_all

#[tokio::test]
async fn front_splices_starttls_to_a_tls_backend() {
    let pki = pki();
    let backend_config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![pki.server.cert.clone(), pki.intermediate.clone()],
        pki.server.key(),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(backend_config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backend = listener.local_addr().unwrap();
    let backend_task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        tls.write_all(b"hello from the backend\n").await.unwrap();
        tls.shutdown().await.unwrap();
    });

    let front = lab::start_front(backend, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(front.backend, backend);
    let mut s = TcpStream::connect(front.addr).await.unwrap();
    assert_eq!(
        read_reply(&mut s).await,
        "220 mx.lab.tlsdive.test ESMTP tlsdive-lab front\r\n"
    );
    assert!(
        command(&mut s, "EHLO client.test")
            .await
            .contains("250-STARTTLS")
    );
    assert!(command(&mut s, "STARTTLS").await.starts_with("220 "));
    let mut tls = handshake(s, DEFAULT, "localhost").await.unwrap();
    let mut got = String::new();
    tls.read_to_string(&mut got).await.unwrap();
    assert_eq!(got, "hello from the backend\n");
    backend_task.await.unwrap();
}

#[tokio::test]
async fn front_answers_454_when_the_backend_is_down() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = listener.local_addr().unwrap();
    drop(listener);
    let front = lab::start_front(dead, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut s = TcpStream::connect(front.addr).await.unwrap();
    read_reply(&mut s).await;
    assert!(command(&mut s, "STARTTLS").await.starts_with("454 4.7.0"));
}

#[tokio::test]
async fn serve_all_starts_every_scenario_with_its_banner() {
    let servers = lab::serve_all(&pki(), None).await.unwrap();
    assert_eq!(servers.len(), Scenario::ALL.len());
    for (srv, &scenario) in servers.iter().zip(Scenario::ALL) {
        assert_eq!(srv.scenario, scenario);
        use Scenario as S;
        if matches!(
            scenario,
            S::SlowBanner
                | S::Banner421
                | S::Banner554
                | S::NotSmtp
                | S::ImplicitTls
                | S::DribbledBanner
        ) {
            continue;
        }
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        let banner = read_reply(&mut s).await;
        let expected = format!("220 mx.lab.tlsdive.test ESMTP tlsdive-lab {scenario}");
        assert!(banner.starts_with(&expected), "{banner:?}");
    }
}
