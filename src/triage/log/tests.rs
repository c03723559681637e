use super::*;

fn item(line: &str) -> Item {
    match parse(line) {
        Line::Item(i) => i,
        other => panic!("{other:?} for {line}"),
    }
}

#[test]
fn targets_in_every_form() {
    let cases = [
        ("example.com", "example.com"),
        ("[mx.example.com]", "mx.example.com:25"),
        ("mx.example.com:2525", "mx.example.com:2525"),
        ("192.0.2.7", "[192.0.2.7]:25"),
        ("192.0.2.7:587", "[192.0.2.7]:587"),
        ("[2001:db8::1]:25", "[2001:db8::1]:25"),
        ("  Example.COM  ", "example.com"),
    ];
    for (input, key) in cases {
        let i = item(input);
        assert_eq!(i.destination.key, key, "{input}");
        assert!(!i.from_log);
    }
    assert_eq!(parse(""), Line::Skipped(Skip::Blank));
    assert_eq!(parse("# a comment"), Line::Skipped(Skip::Comment));
    assert_eq!(parse("hello world"), Line::Garbage);
    assert_eq!(parse("not a host!"), Line::Garbage);
    assert_eq!(parse("mx.example.com:99999"), Line::Garbage);
    assert_eq!(parse("\u{1b}[31mred"), Line::Garbage);
}

#[test]
fn postfix_deferrals() {
    let i = item(
        "Mar  3 10:15:02 mail postfix/smtp[12345]: 4F3A21C0123: to=<alice@example.com>, \
         relay=mx.example.com[192.0.2.7]:25, delay=1.2, delays=0.01/0/1.1/0, dsn=4.4.2, \
         status=deferred (lost connection with mx.example.com[192.0.2.7] while performing \
         the TLS handshake)",
    );
    assert_eq!(i.destination.key, "[192.0.2.7]:25");
    assert_eq!(i.destination.relay_host.as_deref(), Some("mx.example.com"));
    assert_eq!(i.recipient_domain.as_deref(), Some("example.com"));
    assert_eq!(
        i.mta_error.as_deref(),
        Some("lost connection with mx.example.com[192.0.2.7] while performing the TLS handshake")
    );
    assert!(i.from_log);

    let i = item(
        "2024-03-03T10:15:02.123456+00:00 mx1 postfix/smtp[2211]: 4Wd3Xq0Yz1z9sTZ: \
         to=<bob@Example.ORG>, relay=mail.example.org[198.51.100.4]:2525, delay=0.4, \
         delays=0/0/0.3/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered \
         by host mail.example.org[198.51.100.4])",
    );
    assert_eq!(i.destination.key, "[198.51.100.4]:2525");
    assert_eq!(i.recipient_domain.as_deref(), Some("example.org"));
    assert!(i.mta_error.unwrap().starts_with("TLS is required"));

    let i = item(
        "Mar  3 10:16:40 mail postfix/smtp[12346]: 5B1C2D3E4F: to=<c@example.net>, \
         relay=mx.example.net[203.0.113.9]:25, delay=2, delays=0/0/1/1, dsn=4.7.5, \
         status=deferred (Server certificate not verified)",
    );
    assert_eq!(
        i.mta_error.as_deref(),
        Some("Server certificate not verified")
    );

    // No recipient, no status: the TLS error line itself names the destination.
    let i = item(
        "Mar  3 10:15:02 mail postfix/smtp[12345]: SSL_connect error to \
         mx.example.com[192.0.2.7]:25: -1",
    );
    assert_eq!(i.destination.key, "[192.0.2.7]:25");
    assert_eq!(i.recipient_domain, None);

    // relay=none: the address is in the connect text.
    let i = item(
        "Mar  3 10:17:00 mail postfix-out/smtp[999]: 6C7D8E9F0A: to=<d@example.com>, \
         relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to \
         mx2.example.com[192.0.2.8]:25: Connection timed out)",
    );
    assert_eq!(i.destination.key, "[192.0.2.8]:25");
    assert_eq!(i.destination.relay_host.as_deref(), Some("mx2.example.com"));
}

#[test]
fn postfix_lines_with_nothing_to_probe() {
    let sent = "Mar  3 10:15:02 mail postfix/smtp[12345]: 4F3A21C0123: to=<alice@example.com>, \
                relay=mx.example.com[192.0.2.7]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, \
                status=sent (250 2.0.0 Ok: queued as 1234)";
    assert_eq!(parse(sent), Line::Skipped(Skip::Delivered));
    let warning = "Mar  3 10:15:02 mail postfix/smtp[12345]: warning: TLS library problem: \
                   error:0A000086:SSL routines::certificate verify failed:ssl/statem/statem_clnt.c:2091:";
    assert_eq!(parse(warning), Line::Skipped(Skip::NoFailure));
    let smtpd = "Mar  3 10:15:02 mail postfix/smtpd[1]: connect from unknown[192.0.2.1]";
    assert_eq!(parse(smtpd), Line::Skipped(Skip::OtherDaemon));
}

/// Postfix lines that named a failure and were dropped before: a `relay=none` deferral (the
/// MTA never connected: MTA-STS refused every MX) probes the recipient's domain; a stock
/// "connect to HOST[IP]:PORT: Connection refused" line probes that address.
#[test]
fn postfix_failures_without_a_relay_or_a_status() {
    let sts = item(
        "Dec  1 09:00:01 mail postfix/smtp[2001]: 9A1B2C3D4E: to=<bob@sts.example.org>, \
         relay=none, delay=0.2, delays=0.01/0/0.2/0, dsn=4.7.5, status=deferred (MX host \
         mx.sts.example.org does not match any MX pattern in the MTA-STS policy)",
    );
    assert_eq!(sts.destination.key, "sts.example.org");
    assert_eq!(sts.recipient_domain.as_deref(), Some("sts.example.org"));
    assert!(sts.from_log);
    assert!(sts.mta_error.unwrap().contains("MTA-STS policy"));

    let refused = item(
        "Dec  1 09:00:02 mail postfix/smtp[2002]: connect to mx.x.example[192.0.2.9]:2525: \
         Connection refused",
    );
    assert_eq!(refused.destination.key, "[192.0.2.9]:2525");
    assert_eq!(
        refused.destination.relay_host.as_deref(),
        Some("mx.x.example")
    );
    assert!(refused.mta_error.unwrap().ends_with("Connection refused"));

    let greeting = item(
        "Dec  1 09:00:03 mail postfix/smtp[2003]: 1B2C3D4E5F: lost connection with \
         mx.y.example[198.51.100.2] while receiving the initial server greeting",
    );
    assert_eq!(greeting.destination.key, "[198.51.100.2]:25");

    // A relay=none deferral with no recipient names nothing to probe: said so, not lost.
    assert_eq!(
        parse(
            "Dec  1 09:00:04 mail postfix/smtp[2004]: 1C2D3E4F5A: relay=none, status=deferred (x)"
        ),
        Line::Skipped(Skip::NoDestination)
    );
}

#[test]
fn exim_defers() {
    let i = item(
        "2024-03-03 10:15:02 1rgXyZ-000ABC-12 == alice@example.com R=dnslookup T=remote_smtp \
         defer (-37) H=mx.example.com [192.0.2.7]: TLS session: (SSL_connect): \
         error:0A000126:SSL routines::unexpected eof while reading",
    );
    assert_eq!(i.destination.key, "[192.0.2.7]:25");
    assert_eq!(i.destination.relay_host.as_deref(), Some("mx.example.com"));
    assert_eq!(i.recipient_domain.as_deref(), Some("example.com"));
    assert!(
        i.mta_error
            .as_deref()
            .unwrap()
            .starts_with("TLS session: (SSL_connect): error:0A000126")
    );

    let i = item(
        "2024-03-03 10:15:03 1rgXyZ-000ABC-12 TLS error on connection to mx.example.org \
         [198.51.100.4]:2525 (SSL_connect): error:0A000086:SSL routines::certificate verify failed",
    );
    assert_eq!(i.destination.key, "[198.51.100.4]:2525");
    assert_eq!(i.recipient_domain, None);
    assert!(i.mta_error.unwrap().starts_with("TLS error on connection"));

    let i = item(
        "2024-03-03 10:15:04 [4242] 1rgXzA-000ABD-34 == bob@example.net <Bob@Example.NET> \
         R=dnslookup T=remote_smtp defer (-45) H=[203.0.113.9]:587: SMTP error from remote \
         mail server after pipelined MAIL FROM:<> SIZE=1234: 421 4.7.0 Try again later",
    );
    assert_eq!(i.destination.key, "[203.0.113.9]:587");
    assert_eq!(i.destination.relay_host, None);
    assert_eq!(i.recipient_domain.as_deref(), Some("example.net"));
    assert!(i.mta_error.unwrap().starts_with("SMTP error from remote"));
}

#[test]
fn exim_lines_with_nothing_to_probe() {
    let delivered = "2024-03-03 10:15:02 1rgXyZ-000ABC-12 => alice@example.com R=dnslookup \
                     T=remote_smtp H=mx.example.com [192.0.2.7] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 \
                     CV=yes C=\"250 2.0.0 Ok\"";
    assert_eq!(parse(delivered), Line::Skipped(Skip::Delivered));
    let retry = "2024-03-03 10:15:02 1rgXyZ-000ABC-12 == alice@example.com R=dnslookup \
                 T=remote_smtp defer (-53): retry time not reached for any host for 'example.com'";
    assert_eq!(parse(retry), Line::Skipped(Skip::NoDestination));
}

#[test]
fn hostile_text_is_capped_and_kept_as_text() {
    let long = format!(
        "Mar  3 10:15:02 mail postfix/smtp[1]: ABC: to=<a@example.com>, \
         relay=mx.example.com[192.0.2.7]:25, dsn=4.4.2, status=deferred ({})",
        "\u{1b}[2J".repeat(500)
    );
    let i = item(&long);
    assert_eq!(i.mta_error.unwrap().chars().count(), MAX_ERROR);
    // A relay name that is not a host name is not used for verification.
    let i = item(
        "Mar  3 10:15:02 mail postfix/smtp[1]: ABC: to=<a@example.com>, \
         relay=bad_host!![192.0.2.7]:25, dsn=4.4.2, status=deferred (x)",
    );
    assert_eq!(i.destination.relay_host, None);
    assert_eq!(i.destination.key, "[192.0.2.7]:25");
}

/// Random bytes and hex dumps give tokens like `17` or `2c`: before, each became a
/// "destination" with an MX lookup; now they are garbage.
#[test]
fn bare_number_and_hex_tokens_are_not_domains() {
    for t in [
        "17",
        "2c",
        "deadbeef",
        "x",
        "1.2.3",
        "mx.example.123",
        "[2c]:25",
        "2c:25",
    ] {
        assert_eq!(parse(t), Line::Garbage, "{t}");
    }
    for t in [
        "localhost",
        "[localhost]:2525",
        "mx.example.com",
        "example.cafe",
        "127.0.0.1",
    ] {
        assert!(matches!(parse(t), Line::Item(_)), "{t}");
    }
}
