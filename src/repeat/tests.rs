use super::*;

fn obs(cause: &str, address: &str, cert: &str) -> Observed {
    let cause = Cause::from_code(cause).expect("a cause code");
    Observed {
        cause,
        address: address.into(),
        certificate: Some(cert.into()),
        banner: Some("220 mx ESMTP".into()),
        version: (cause == Cause::Ok).then(|| "TLSv1.3".into()),
        suite: None,
        group: None,
    }
}

const GOOD: &str = "11:22:33:44:55:66:77";
const BAD: &str = "AB:CD:EF:01:23:45:67";

#[test]
fn one_bad_backend_is_intermittent_with_the_certificate_named() {
    let seen: Vec<Observed> = (0..9)
        .map(|i| {
            if i % 3 == 2 {
                obs("cert-expired", "192.0.2.7:25", BAD)
            } else {
                obs("ok", "192.0.2.7:25", GOOD)
            }
        })
        .collect();
    let r = summarize_observed(&seen);
    assert_eq!(r.attempts, 9);
    assert_eq!(r.by_cause[&Cause::Ok], 6);
    assert_eq!(r.by_cause[&Cause::CertExpired], 3);
    assert_eq!(r.by_address["192.0.2.7:25"][&Cause::CertExpired], 3);
    assert_eq!(r.conclusion.cause, Cause::Intermittent);
    assert_eq!(
        r.conclusion.summary,
        "3 of 9 failed with cert-expired, all on 192.0.2.7:25, always with certificate \
         SHA-256 AB:CD:EF:01:23…: one backend behind this address serves an expired certificate"
    );
    let what: Vec<Fact> = r.differences.iter().map(|d| d.what).collect();
    // The banner and the address are the same for both: they tell nothing apart.
    assert_eq!(what, [Fact::Certificate]);
    // The JSON keeps the label.
    let json = serde_json::to_value(&r.differences[0]).unwrap();
    assert_eq!(json["what"], "certificate SHA-256");
    assert_eq!(words::strip(&r), "..x..x..x");
}

#[test]
fn one_failing_address_among_several() {
    let seen = vec![
        obs("ok", "192.0.2.7:25", GOOD),
        obs("peer-closed-during-handshake", "192.0.2.8:25", GOOD),
        obs("ok", "192.0.2.7:25", GOOD),
        obs("peer-closed-during-handshake", "192.0.2.8:25", GOOD),
    ];
    let r = summarize_observed(&seen);
    assert_eq!(r.conclusion.cause, Cause::Intermittent);
    assert!(
        r.conclusion.summary.starts_with(
            "2 of 4 failed with peer-closed-during-handshake, all on 192.0.2.8:25: one address fails"
        ),
        "{}",
        r.conclusion.summary
    );
    assert_eq!(r.differences[0].what, Fact::Address);
}

#[test]
fn steady_results_are_not_intermittent() {
    let ok = summarize_observed(&[obs("ok", "a", GOOD), obs("ok", "a", GOOD)]);
    assert_eq!(ok.conclusion.cause, Cause::Ok);
    let bad = summarize_observed(&[obs("tls-alert", "a", BAD), obs("tls-alert", "a", BAD)]);
    assert_eq!(bad.conclusion.cause, Cause::TlsAlert);
    assert!(bad.conclusion.summary.contains("not an intermittent one"));
    assert!(bad.differences.is_empty());
    let none = summarize_observed(&[]);
    assert_eq!(none.attempts, 0);
}

#[test]
fn several_causes_are_counted_in_words() {
    let seen = vec![
        obs("ok", "a", GOOD),
        obs("tls-alert", "a", GOOD),
        obs("cert-expired", "a", BAD),
        obs("cert-expired", "a", BAD),
    ];
    let r = summarize_observed(&seen);
    assert_eq!(r.conclusion.cause, Cause::Intermittent);
    assert!(
        r.conclusion
            .summary
            .starts_with("3 of 4 failed with cert-expired (2), tls-alert (1), all on a"),
        "{}",
        r.conclusion.summary
    );
}

#[test]
fn section_labels_each_kind_of_fact_once() {
    let seen = vec![
        obs("ok", "192.0.2.7:25", GOOD),
        obs("cert-expired", "192.0.2.7:25", BAD),
        obs("ok", "192.0.2.8:25", GOOD),
    ];
    let r = summarize_observed(&seen);
    assert_eq!(
        words::section(&r),
        "\nRepeat: 3 attempts of the same plan\n\
         \x20 attempts:   .x.   (. worked, x failed)\n\
         \x20 by cause:   ok 2, cert-expired 1\n\
         \x20 by address: 192.0.2.7:25  ok 1, cert-expired 1\n\
         \x20             192.0.2.8:25  ok 1\n\
         \x20 differs:    certificate SHA-256: worked with 11:22:33:44:55…; failed with AB:CD:EF:01:23…\n\
         \x20 conclusion: intermittent: 1 of 3 failed with cert-expired, all on 192.0.2.7:25, \
         always with certificate SHA-256 AB:CD:EF:01:23…: one backend behind this address serves \
         an expired certificate\n"
    );
}
