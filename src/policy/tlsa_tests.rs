//! TLSA matching against chains made with rcgen; the expected association data is computed
//! from rcgen's own key and certificate bytes, independently of the code under test.

use super::*;
use aws_lc_rs::digest::{SHA256, SHA512, digest};
use rcgen::{CertificateParams, IsCa, Issuer, KeyPair, PublicKeyData};

struct Chain {
    leaf_spki: Vec<u8>,
    ca_spki: Vec<u8>,
    ders: Vec<Vec<u8>>,
}

fn chain() -> Chain {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca.clone().self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, &ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["mx.example.com".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    Chain {
        leaf_spki: leaf_key.subject_public_key_info(),
        ca_spki: ca_key.subject_public_key_info(),
        ders: vec![leaf.der().to_vec(), ca_cert.der().to_vec()],
    }
}

fn ok(_: &[Vec<u8>], _: usize) -> Result<(), String> {
    Ok(())
}

fn sha256(b: &[u8]) -> Vec<u8> {
    digest(&SHA256, b).as_ref().to_vec()
}

#[test]
fn dane_ee_matches_the_leaf_by_key_or_certificate_with_every_matching_type() {
    let c = chain();
    let cases = [
        TlsaRecord::new(3, 1, 1, &sha256(&c.leaf_spki)),
        TlsaRecord::new(3, 1, 2, digest(&SHA512, &c.leaf_spki).as_ref()),
        TlsaRecord::new(3, 1, 0, &c.leaf_spki),
        TlsaRecord::new(3, 0, 1, &sha256(&c.ders[0])),
        TlsaRecord::new(3, 0, 0, &c.ders[0]),
    ];
    for r in cases {
        let got = check(std::slice::from_ref(&r), &c.ders, &ok);
        assert_eq!(got.outcome, TlsaOutcome::Valid, "{}", r.presentation());
        assert_eq!(got.records[0].matched, Some(0));
    }
}

#[test]
fn association_data_is_compared_without_regard_to_case() {
    let c = chain();
    let mut r = TlsaRecord::new(3, 1, 1, &sha256(&c.leaf_spki));
    r.data = r.data.to_ascii_uppercase();
    assert_eq!(check(&[r], &c.ders, &ok).outcome, TlsaOutcome::Valid);
}

#[test]
fn dane_ee_never_matches_a_ca_certificate() {
    let c = chain();
    let r = TlsaRecord::new(3, 1, 1, &sha256(&c.ca_spki));
    let got = check(&[r], &c.ders, &ok);
    assert_eq!(got.outcome, TlsaOutcome::Mismatch);
}

#[test]
fn dane_ta_matches_a_ca_the_server_sent_and_needs_the_chain_to_it() {
    let c = chain();
    let r = TlsaRecord::new(2, 1, 1, &sha256(&c.ca_spki));
    let got = check(std::slice::from_ref(&r), &c.ders, &ok);
    assert_eq!(got.outcome, TlsaOutcome::Valid);
    assert_eq!(got.records[0].matched, Some(1));

    let bad = |_: &[Vec<u8>], _: usize| Err("the name is not mx.example.com".to_string());
    let got = check(std::slice::from_ref(&r), &c.ders, &bad);
    assert_eq!(got.outcome, TlsaOutcome::Mismatch);
    assert!(
        got.records[0]
            .note
            .as_deref()
            .unwrap()
            .contains("mx.example.com")
    );

    // The leaf is not a trust anchor, even when its digest is published as DANE-TA.
    let leaf = TlsaRecord::new(2, 1, 1, &sha256(&c.leaf_spki));
    assert_eq!(check(&[leaf], &c.ders, &ok).outcome, TlsaOutcome::Mismatch);
}

#[test]
fn a_record_left_stale_after_rotation_is_a_mismatch_with_the_served_digests() {
    let old = chain();
    let new = chain();
    let r = TlsaRecord::new(3, 1, 1, &sha256(&old.leaf_spki));
    let got = check(&[r], &new.ders, &ok);
    assert_eq!(got.outcome, TlsaOutcome::Mismatch);
    assert_eq!(got.records[0].matched, None);
    assert_eq!(got.certificates.len(), 2);
    assert_eq!(
        got.certificates[0].spki_sha256,
        hex(&sha256(&new.leaf_spki))
    );
    assert_eq!(got.certificates[0].cert_sha256, hex(&sha256(&new.ders[0])));
}

#[test]
fn pkix_usages_are_unusable_for_smtp_but_do_not_hide_a_usable_record() {
    let c = chain();
    let pkix = [
        TlsaRecord::new(0, 0, 1, &sha256(&c.ders[1])),
        TlsaRecord::new(1, 1, 1, &sha256(&c.leaf_spki)),
    ];
    let got = check(&pkix, &c.ders, &ok);
    assert_eq!(got.outcome, TlsaOutcome::Unusable);
    assert!(got.records.iter().all(|m| m.matched.is_none()));
    assert!(got.records[0].note.as_deref().unwrap().contains("PKIX-TA"));

    let mut mixed = pkix.to_vec();
    mixed.push(TlsaRecord::new(3, 1, 1, &sha256(&c.leaf_spki)));
    assert_eq!(check(&mixed, &c.ders, &ok).outcome, TlsaOutcome::Valid);
    // Unknown parameters are unusable too (RFC 7672 §3.1).
    let odd = TlsaRecord::new(3, 2, 1, &sha256(&c.leaf_spki));
    assert_eq!(check(&[odd], &c.ders, &ok).outcome, TlsaOutcome::Unusable);
}

#[test]
fn no_chain_and_garbage_certificates_are_answers_not_panics() {
    let c = chain();
    let r = TlsaRecord::new(3, 1, 1, &sha256(&c.leaf_spki));
    assert_eq!(
        check(std::slice::from_ref(&r), &[], &ok).outcome,
        TlsaOutcome::NoChain
    );
    let got = check(&[r], &[vec![0x30, 0x03, 1, 2]], &ok);
    assert_eq!(got.outcome, TlsaOutcome::Mismatch);
    assert_eq!(got.certificates[0].subject, "(unparseable certificate)");
}
