//! The scanner against `openssl s_server` behind the lab's STARTTLS front (and once in
//! implicit-TLS mode): the suites, versions and groups found must equal what the server was
//! configured with. The expected suites come from `openssl ciphers -stdname -s -tlsX SPEC`
//! (what this OpenSSL really enables for that spec and version, e.g. no 3DES in OpenSSL 3).

mod common;

use common::openssl::s_server;
use tlsdive::lab;
use tlsdive::scan::{self, Profile, ScanPlan};

/// IANA names of what `openssl ciphers -s` enables for `spec` at `version_flag`.
fn openssl_suites(version_flag: &str, spec: &str) -> Vec<String> {
    let out = std::process::Command::new("openssl")
        .args(["ciphers", "-stdname", "-s", version_flag, spec])
        .output()
        .expect("openssl ciphers");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

async fn scan_behind_front(args: &[&str]) -> Profile {
    let backend = s_server(args).await;
    let front = lab::start_front(backend.addr, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let plan = ScanPlan::new(common::plan_for(front.addr, false));
    let profile = scan::scan(&plan, |_| {}).await;
    assert_eq!(
        u64::from(profile.connections),
        front.connections(),
        "{profile:#?}"
    );
    profile
}

fn version<'a>(p: &'a Profile, name: &str) -> &'a scan::VersionResult {
    p.versions
        .iter()
        .find(|v| v.version.name() == name)
        .unwrap_or_else(|| panic!("{name} in {p:#?}"))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn accepted(p: &Profile) -> Vec<&str> {
    p.versions
        .iter()
        .filter(|v| v.accepted)
        .map(|v| v.version.name())
        .collect()
}

const TLS10_SPEC: &str = "AES128-SHA:AES256-SHA:DES-CBC3-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0";

#[tokio::test]
async fn tls10_only_cbc_server() {
    let p = scan_behind_front(&["-tls1", "-cipher", TLS10_SPEC]).await;
    assert_eq!(accepted(&p), ["TLSv1.0"], "{p:#?}");
    let v = version(&p, "TLSv1.0");
    let want = openssl_suites("-tls1", TLS10_SPEC);
    assert!(want.len() >= 3, "{want:?}");
    assert_eq!(sorted(v.cipher_suites.clone()), sorted(want));
    assert!(v.answer.starts_with("ServerHello TLSv1.0 "), "{}", v.answer);
    for refused in ["SSLv3", "TLSv1.1", "TLSv1.2", "TLSv1.3"] {
        assert!(!version(&p, refused).answer.is_empty());
    }
    assert!(!p.overlap.negotiable);
    assert_eq!(
        p.verdict,
        "server accepts only TLS 1.0 with CBC suites: no client limited to TLS 1.2+ can negotiate",
        "{p:#?}"
    );
    // Each accepted suite costs one connection, each refusal about one.
    assert!(p.connections <= 20, "{} connections", p.connections);
}

const RSA_SPEC: &str = "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA256";

#[tokio::test]
async fn tls12_rsa_key_exchange_only_server() {
    let p = scan_behind_front(&["-tls1_2", "-cipher", RSA_SPEC]).await;
    assert_eq!(accepted(&p), ["TLSv1.2"], "{p:#?}");
    let v = version(&p, "TLSv1.2");
    assert_eq!(
        sorted(v.cipher_suites.clone()),
        sorted(openssl_suites("-tls1_2", RSA_SPEC))
    );
    assert_eq!(v.server_order, Some(false), "s_server without -serverpref");
    assert!(!p.overlap.negotiable);
    assert!(p.overlap.cipher_suites.is_empty());
    assert!(
        p.verdict
            .starts_with("server accepts TLS 1.2 only with GCM and CBC suites (RSA key exchange)"),
        "{}",
        p.verdict
    );
}

const MODERN_SPEC: &str = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA";
const MODERN_13: &str = "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";

fn modern_args(serverpref: bool) -> Vec<&'static str> {
    let mut args = vec![
        "-cipher",
        MODERN_SPEC,
        "-ciphersuites",
        MODERN_13,
        "-groups",
        "P-256:X25519",
    ];
    if serverpref {
        args.push("-serverpref");
    }
    args
}

#[tokio::test]
async fn modern_server_with_server_preference() {
    let p = scan_behind_front(&modern_args(true)).await;
    assert_eq!(accepted(&p), ["TLSv1.2", "TLSv1.3"], "{p:#?}");
    let t12 = version(&p, "TLSv1.2");
    // Server order: exactly the configured order.
    assert_eq!(t12.cipher_suites, openssl_suites("-tls1_2", MODERN_SPEC));
    assert_eq!(t12.server_order, Some(true));
    let t13 = version(&p, "TLSv1.3");
    assert_eq!(
        t13.cipher_suites,
        ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"]
    );
    assert_eq!(t13.server_order, Some(true));
    for g in &p.groups {
        assert_eq!(g.groups, ["secp256r1", "X25519"], "{g:?}");
        assert_eq!(g.server_order, Some(true), "{g:?}");
    }
    assert_eq!(p.groups.len(), 2);
    assert!(p.overlap.negotiable);
    assert_eq!(
        p.overlap.best.as_deref(),
        Some("TLSv1.3 TLS_CHACHA20_POLY1305_SHA256 secp256r1")
    );
    assert!(
        p.verdict
            .starts_with("a rustls-based sender can negotiate TLSv1.3"),
        "{}",
        p.verdict
    );
}

#[tokio::test]
async fn modern_server_with_client_preference() {
    let p = scan_behind_front(&modern_args(false)).await;
    let t12 = version(&p, "TLSv1.2");
    assert_eq!(
        sorted(t12.cipher_suites.clone()),
        sorted(openssl_suites("-tls1_2", MODERN_SPEC))
    );
    assert_eq!(t12.server_order, Some(false));
    let t13 = version(&p, "TLSv1.3");
    assert_eq!(
        sorted(t13.cipher_suites.clone()),
        ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"]
    );
    assert_eq!(t13.server_order, Some(false));
    let [g12, g13] = &p.groups[..] else {
        panic!("{:?}", p.groups)
    };
    assert_eq!(g12.groups, ["X25519", "secp256r1"], "{g12:?}");
    assert_eq!(g12.server_order, Some(false), "{g12:?}");
    // OpenSSL 3.0 names its HelloRetryRequest group by its own order even without
    // -serverpref: the scan reports what the server does, not what the flag suggests.
    assert_eq!(g13.groups, ["secp256r1", "X25519"], "{g13:?}");
    assert_eq!(g13.server_order, Some(true), "{g13:?}");
}

#[tokio::test]
async fn implicit_tls_server() {
    let backend = s_server(&["-tls1_2", "-cipher", RSA_SPEC]).await;
    let plan = ScanPlan::new(common::plan_for(backend.addr, true));
    let p = scan::scan(&plan, |_| {}).await;
    assert_eq!(accepted(&p), ["TLSv1.2"], "{p:#?}");
    let v = version(&p, "TLSv1.2");
    assert_eq!(
        sorted(v.cipher_suites.clone()),
        sorted(openssl_suites("-tls1_2", RSA_SPEC))
    );
}

#[tokio::test]
async fn dhe_prime_size_is_measured_and_a_weak_one_named() {
    // A 1024-bit group, the kind old mail servers still carry (Postfix's dh1024 file);
    // fixed here so the test does not wait for prime generation.
    let dir = tempfile::tempdir().unwrap();
    let dh = dir.path().join("dh1024.pem");
    std::fs::write(&dh, DH1024).unwrap();
    let dh = dh.to_str().unwrap().to_string();
    let p = scan_behind_front(&[
        "-tls1_2",
        "-cipher",
        "DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
        "-dhparam",
        &dh,
    ])
    .await;
    let v12 = version(&p, "TLSv1.2");
    assert!(
        v12.cipher_suites
            .contains(&"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256".to_string())
    );
    assert_eq!(v12.dhe_prime_bits, Some(1024), "{p:#?}");
    assert!(
        p.verdict.contains("1024-bit prime, too weak (Logjam)"),
        "{}",
        p.verdict
    );

    // OpenSSL's automatic group for an RSA-2048 certificate is 2048 bits: no warning.
    let p = scan_behind_front(&["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"]).await;
    assert_eq!(version(&p, "TLSv1.2").dhe_prime_bits, Some(2048), "{p:#?}");
    assert!(!p.verdict.contains("Logjam"), "{}", p.verdict);
}

const DH1024: &str = "-----BEGIN DH PARAMETERS-----\nMIGHAoGBANKxdb2seHIyKl2SVS314fwtwu34YuRRAilONxeieVMdiZUIrXgG9s0L\n2df0WLEqEaUk/Wd1ME/cka4xKsUZm0+dzZKA6w8QVcJqLTnZy4OqsafE/BrMLlTO\nnAC6izcF8dK2kQDaLi5ZJvibPVodS53Bg6mA/jlN/7rZXjjgBqYfAgEC\n-----END DH PARAMETERS-----\n";
