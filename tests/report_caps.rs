//! Reports of hostile DNS data and recordings are capped and summarised, in text and JSON
//! alike: a recording (generated here, in a temp dir) with 2,821 MX hosts, 1,000 TLSA
//! records one of which is 64 KB, a 60,000-character TLS-RPT `rua` and a 400 KB SMTP line
//! replays to a report of bounded lines that says what it left out ("… and 2,801 more"). A
//! recording of 3,000 tiny attempts replays its first 2,000 and says so. Before: one
//! 128,037-character TLSA line, a row per record and per host, the SMTP line whole.

use std::io::Write;

use tlsdive::event::{EventKind, MxHost, ProbeEvent};
use tlsdive::plan::{Plan, Target};
use tlsdive::policy::tlsa::TlsaRecord;
use tlsdive::policy::{Dnssec, TlsaLookup, TxtLookup};

fn ev(attempt: u32, at_us: u64, kind: EventKind) -> ProbeEvent {
    ProbeEvent {
        attempt,
        at_us,
        kind,
    }
}

fn hostile_recording(path: &std::path::Path) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let plan = Plan::new(Target::Domain("example.com".into()));
    let hosts: Vec<MxHost> = (0..2821)
        .map(|i| MxHost {
            preference: 10,
            exchange: format!("mx{i}.example.com"),
            addresses: vec![std::net::IpAddr::from([127, 0, 0, 1])],
            error: None,
        })
        .collect();
    let mut records: Vec<TlsaRecord> = (0..999u32)
        .map(|i| TlsaRecord::new(3, 1, 1, &[i as u8; 32]))
        .collect();
    records.insert(0, TlsaRecord::new(3, 1, 0, &[0xab; 64 * 1024]));
    let events = [
        EventKind::AttemptStarted {
            plan: Box::new(plan),
        },
        EventKind::MxResolved {
            domain: "example.com".into(),
            hosts,
        },
        EventKind::ConnectStarted {
            peer: "127.0.0.1:25".parse().unwrap(),
            host: Some("mx0.example.com".into()),
        },
        EventKind::SmtpReceived {
            line: format!("220 {}", "x".repeat(400 * 1024)),
            tls: false,
            truncated: false,
        },
        EventKind::TlsaFound {
            lookup: TlsaLookup {
                host: "mx0.example.com".into(),
                port: 25,
                dnssec: Dnssec::Secure,
                records,
                error: None,
                at_unix: 1_700_000_000,
            },
        },
        EventKind::TlsRptFound {
            lookup: TxtLookup {
                name: "_smtp._tls.example.com".into(),
                txt: vec![format!(
                    "v=TLSRPTv1; rua=mailto:{}@example.com",
                    "r".repeat(60_000)
                )],
                error: None,
            },
        },
    ];
    for (i, kind) in events.into_iter().enumerate() {
        tlsdive::recording::write_event(&mut w, &ev(1, i as u64, kind)).unwrap();
    }
    w.flush().unwrap();
}

fn replay(path: &std::path::Path, json: bool) -> String {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tlsdive"));
    cmd.args(["replay", path.to_str().unwrap(), "--report"]);
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().expect("run tlsdive");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn hostile_dns_data_and_smtp_lines_are_capped_in_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("hostile.jsonl");
    hostile_recording(&rec);

    let text = replay(&rec, false);
    let longest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(longest < 9000, "a line of {longest} characters");
    assert!(text.lines().count() < 300, "{} lines", text.lines().count());
    assert!(text.contains("… and 2,801 more MX hosts"), "{text}");
    assert!(
        text.contains("more bytes]"),
        "the SMTP line says it was cut"
    );
    assert!(text.contains("    … and 980 more TLSA records\n"), "{text}");
    let big = text
        .lines()
        .find(|l| l.starts_with("    TLSA 3 1 0 abab"))
        .expect("the 64 KB record's row");
    assert!(big.contains("(130,878 more characters)"), "{big}");
    assert!(big.chars().count() < 500, "{big}");
    assert!(text.contains("(59,833 more characters)"), "the rua is cut");

    let json = replay(&rec, true);
    assert!(json.len() < 2_000_000, "{} bytes of JSON", json.len());
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["target"]["mx"]["hosts"].as_array().unwrap().len(), 200);
    assert_eq!(v["target"]["mx"]["hosts_more"], 2621);
    let line = v["transcript"][0]["line"].as_str().unwrap();
    assert!(line.len() < 9000, "{}", line.len());
    assert_eq!(v["transcript"][0]["truncated"], true);
    let dane = &v["policy"]["dane"];
    assert_eq!(dane["records"].as_array().unwrap().len(), 200);
    assert_eq!(dane["records_more"], 800);
    let data = dane["records"][0]["data"].as_str().unwrap();
    assert!(data.len() < 5000, "{}", data.len());
    let rua = v["policy"]["tls_rpt"]["rua"][0].as_str().unwrap();
    assert!(rua.len() < 5000, "{}", rua.len());
}

#[test]
fn a_recording_of_thousands_of_attempts_replays_the_first_two_thousand() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("many.jsonl");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&rec).unwrap());
    for id in 1..=3000u32 {
        let kind = EventKind::Note {
            text: format!("attempt {id}"),
        };
        tlsdive::recording::write_event(&mut w, &ev(id, 0, kind)).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let loaded = tlsdive::recording::load(&rec).unwrap();
    assert_eq!(loaded.session.attempts.len(), 2000);
    let last = loaded.session.latest().unwrap();
    assert!(
        last.notes
            .iter()
            .any(|(_, n)| n.contains("1,000 events of later attempts were not replayed")),
        "{:?}",
        last.notes
    );
}
