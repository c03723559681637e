use std::io::Write;

use base64::Engine;

use super::*;

fn sample(domain: &str) -> String {
    format!(
        r#"{{"organization-name":"Example Sender","date-range":{{"start-datetime":"2026-11-30T00:00:00Z","end-datetime":"2026-11-30T23:59:59Z"}},"contact-info":"tlsrpt@sender.example","report-id":"r-{domain}","policies":[{{"policy":{{"policy-type":"sts","policy-domain":"{domain}","mx-host":["mx.{domain}"]}},"summary":{{"total-successful-session-count":10,"total-failure-session-count":2}},"failure-details":[{{"result-type":"certificate-expired","receiving-mx-hostname":"mx.{domain}","receiving-ip":"127.0.0.1","failed-session-count":2}}]}}]}}"#
    )
}

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// A report mail as Google and Microsoft send it: multipart, the report a base64 gzip.
fn message(domain: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(gz(sample(domain).as_bytes()));
    format!(
        "From: noreply-smtp-tls-reporting@sender.example\r\n\
         To: tlsrpt@{domain}\r\n\
         Subject: Report Domain: {domain} Submitter: sender.example Report-ID: <r-{domain}>\r\n\
         TLS-Report-Domain: {domain}\r\n\
         TLS-Report-Submitter: sender.example\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"XYZ\"\r\n\r\n\
         --XYZ\r\nContent-Type: text/plain\r\n\r\nThis is an aggregate TLS report.\r\n\
         --XYZ\r\nContent-Type: application/tlsrpt+gzip\r\n\
         Content-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"sender.example!{domain}!1!2!r.json.gz\"\r\n\r\n\
         {b64}\r\n--XYZ--\r\n"
    )
}

fn domains(found: &[Result<Report, ReadError>]) -> Vec<String> {
    found
        .iter()
        .map(|r| match r {
            Ok(r) => r.policies[0].policy.policy_domain.clone(),
            Err(e) => format!("error: {e}"),
        })
        .collect()
}

#[test]
fn json_gzip_mail_and_mbox_all_read() {
    let l = Limits::default();
    assert_eq!(
        domains(&reports_in(sample("a.test").as_bytes(), &l)),
        ["a.test"]
    );
    assert_eq!(
        domains(&reports_in(&gz(sample("b.test").as_bytes()), &l)),
        ["b.test"]
    );
    assert_eq!(
        domains(&reports_in(message("c.test").as_bytes(), &l)),
        ["c.test"]
    );
    let mbox = format!(
        "From sender@example Mon Nov 30 00:00:00 2026\n{}\nFrom sender@example Mon Nov 30 00:00:01 2026\n{}\n",
        message("d.test").replace("\r\n", "\n"),
        message("e.test").replace("\r\n", "\n")
    );
    assert_eq!(
        domains(&reports_in(mbox.as_bytes(), &l)),
        ["d.test", "e.test"]
    );
}

#[test]
fn broken_inputs_each_say_what_they_are() {
    let l = Limits::default();
    let first = |b: &[u8]| reports_in(b, &l).remove(0).unwrap_err();
    assert!(matches!(
        first(b"{\"organization-name\": 3}"),
        ReadError::NotAReport(_)
    ));
    assert_eq!(first(b"\x00\x01binary"), ReadError::UnknownFormat);
    assert_eq!(first(b"PK\x03\x04...."), ReadError::Zip);
    let whole = gz(sample("t.test").as_bytes());
    assert!(matches!(
        first(&whole[..whole.len() / 2]),
        ReadError::Gzip(_)
    ));
    assert_eq!(
        first(b"Subject: hello\r\n\r\nno attachment here\r\n"),
        ReadError::NoReportInMessage
    );
}

/// 16 MiB of zeros gzip to about 16 KiB: reading stops at the limit, not at the end.
#[test]
fn a_compression_bomb_stops_at_the_limit() {
    let zeros = vec![0u8; 16 * 1024 * 1024];
    let bomb = gz(&zeros);
    assert!(bomb.len() < 64 * 1024);
    let l = Limits {
        max_decompressed: 1024 * 1024,
        ..Limits::default()
    };
    assert_eq!(
        reports_in(&bomb, &l).remove(0).unwrap_err(),
        ReadError::TooLarge { limit: 1024 * 1024 }
    );
}

#[test]
fn an_mbox_stops_at_max_reports() {
    let l = Limits {
        max_reports: 3,
        ..Limits::default()
    };
    let mut mbox = String::new();
    for i in 0..10 {
        mbox.push_str("From x Mon Nov 30 00:00:00 2026\n");
        mbox.push_str(&message(&format!("m{i}.test")).replace("\r\n", "\n"));
        mbox.push('\n');
    }
    let found = reports_in(mbox.as_bytes(), &l);
    assert_eq!(found.len(), 4);
    assert_eq!(found[3], Err(ReadError::TooManyReports { limit: 3 }));
}
