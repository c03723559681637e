//! The scanner's ClientHello bytes, checked by an independent parser (rusticata's
//! tls-parser) and round-tripped through tlsdive's own `wire` decoder.

use tls_parser::{
    TlsExtension, TlsMessage, TlsMessageHandshake, parse_tls_client_hello_extensions,
    parse_tls_plaintext,
};

use tlsdive::scan::catalog::{CHUNK, ScanVersion, chunks, groups_for, suites_for};
use tlsdive::scan::hello::{HelloSpec, build, default_key_shares};
use tlsdive::wire::hello::decode_client_hello;
use tlsdive::wire::names::{group_name, suite_name};

fn spec(version: ScanVersion) -> HelloSpec {
    let suites = chunks(&suites_for(version))
        .into_iter()
        .next()
        .unwrap_or_default();
    let tls13 = version == ScanVersion::Tls13;
    HelloSpec {
        version,
        suites,
        groups: groups_for(if tls13 { version } else { ScanVersion::Tls12 }),
        key_shares: if tls13 {
            default_key_shares()
        } else {
            Vec::new()
        },
        sni: Some("mx.example.com".into()),
    }
}

#[test]
fn every_version_parses_with_tls_parser() {
    for version in ScanVersion::ALL {
        let s = spec(version);
        let bytes = build(&s);
        assert!(bytes.len() < 16 * 1024, "{version:?}: {}", bytes.len());
        let (rest, record) = parse_tls_plaintext(&bytes).expect("a TLS record");
        assert!(rest.is_empty(), "{version:?}");
        let want_record = if version == ScanVersion::Ssl3 {
            0x0300
        } else {
            0x0301
        };
        assert_eq!(record.hdr.version.0, want_record);
        let [TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch))] = &record.msg[..] else {
            panic!("{version:?}: {:?}", record.msg);
        };
        assert_eq!(ch.version.0, version.wire().min(0x0303), "{version:?}");
        let mut offered: Vec<u16> = ch.ciphers.iter().map(|c| c.0).collect();
        if version != ScanVersion::Tls13 {
            assert_eq!(offered.pop(), Some(0x00ff), "renegotiation SCSV last");
        }
        assert_eq!(offered, s.suites);
        assert!(s.suites.len() <= CHUNK);
        if version == ScanVersion::Ssl3 {
            assert!(ch.ext.is_none(), "SSL 3.0 hello without extensions");
            continue;
        }
        let (_, exts) =
            parse_tls_client_hello_extensions(ch.ext.unwrap_or_default()).expect("extensions");
        let sni = exts.iter().find_map(|e| match e {
            TlsExtension::SNI(names) => names.first().map(|(_, n)| n.to_vec()),
            _ => None,
        });
        assert_eq!(sni.as_deref(), Some(&b"mx.example.com"[..]));
        let groups = exts.iter().find_map(|e| match e {
            TlsExtension::EllipticCurves(g) => Some(g.iter().map(|g| g.0).collect::<Vec<u16>>()),
            _ => None,
        });
        assert_eq!(groups, Some(s.groups.clone()));
        let versions = exts.iter().find_map(|e| match e {
            TlsExtension::SupportedVersions(v) => Some(v.iter().map(|v| v.0).collect::<Vec<u16>>()),
            _ => None,
        });
        let sigalgs = exts
            .iter()
            .any(|e| matches!(e, TlsExtension::SignatureAlgorithms(_)));
        assert_eq!(sigalgs, version >= ScanVersion::Tls12, "{version:?}");
        if version == ScanVersion::Tls13 {
            assert_eq!(versions, Some(vec![0x0304]));
            assert!(exts.iter().any(|e| matches!(e, TlsExtension::KeyShare(_))));
        } else {
            assert_eq!(versions, None);
        }
    }
}

#[test]
fn round_trip_through_wire() {
    for version in ScanVersion::ALL {
        let s = spec(version);
        let bytes = build(&s);
        // Record header (5) + handshake header (4), then the body wire decodes.
        let body = bytes.get(9..).expect("hello body");
        let ch = decode_client_hello(body).expect("wire decodes our hello");
        let mut want: Vec<String> = s.suites.iter().map(|v| suite_name(*v)).collect();
        if version != ScanVersion::Tls13 {
            want.push(suite_name(0x00ff));
        }
        assert_eq!(ch.info.cipher_suites, want, "{version:?}");
        if version == ScanVersion::Ssl3 {
            assert_eq!(ch.info.versions, ["SSLv3"]);
            continue;
        }
        assert_eq!(ch.info.sni.as_deref(), Some("mx.example.com"));
        let groups: Vec<String> = s.groups.iter().map(|g| group_name(*g)).collect();
        assert_eq!(ch.info.groups, groups);
        assert_eq!(ch.info.versions, [version.name()], "{version:?}");
        if version == ScanVersion::Tls13 {
            let shares: Vec<(String, usize)> = ch.info.key_shares.clone();
            assert_eq!(
                shares,
                [("X25519".to_owned(), 32), ("secp256r1".to_owned(), 65)]
            );
        }
    }
}

#[test]
fn padding_keeps_hellos_out_of_256_to_511_bytes() {
    for n in 1..60 {
        let mut s = spec(ScanVersion::Tls10);
        s.suites.truncate(n);
        s.sni = None;
        let len = build(&s).len() - 5;
        assert!(!(256..512).contains(&len), "{n} suites: {len} bytes");
    }
}

#[test]
fn empty_key_share_asks_for_a_retry() {
    let mut s = spec(ScanVersion::Tls13);
    s.key_shares.clear();
    let ch = decode_client_hello(build(&s).get(9..).unwrap_or_default()).expect("decodes");
    assert!(ch.info.key_shares.is_empty());
    assert!(ch.info.extensions.iter().any(|e| e == "key_share"));
}
