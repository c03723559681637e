//! MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy file served over HTTPS, and
//! whether an MX host matches the policy's `mx` patterns. Written here rather than taken from
//! `mail-auth` (which brings DKIM, SPF, DMARC, ARC and a resolver of its own) or
//! `mailrs-mta-sts` (young, one maintainer): the grammar is a few lines of ABNF, and we want
//! every rejection named in words an engineer can act on.

use serde::{Deserialize, Serialize};

use super::wildcard::host_matches;

/// The `_mta-sts.DOMAIN` TXT record (§3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StsRecord {
    pub id: String,
}

/// Why the TXT record set does not announce a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StsRecordError {
    #[error("no TXT record starts with v=STSv1")]
    Absent,
    #[error("{0} TXT records start with v=STSv1; senders ignore them all (RFC 8461 §3.1)")]
    Several(usize),
    #[error("the record \"{record}\" is invalid: {why}")]
    Invalid { record: String, why: String },
}

/// Pick the STS record from a TXT RRset: records not starting with `v=STSv1` are discarded;
/// anything but exactly one valid record means "no policy" (§3.1).
pub fn parse_record(txts: &[String]) -> Result<StsRecord, StsRecordError> {
    let ours: Vec<&String> = txts
        .iter()
        .filter(|t| {
            t.trim_start().strip_prefix("v=STSv1").is_some_and(|rest| {
                rest.trim_start().is_empty() || rest.trim_start().starts_with(';')
            })
        })
        .collect();
    let record = match ours.as_slice() {
        [] => return Err(StsRecordError::Absent),
        [one] => *one,
        many => return Err(StsRecordError::Several(many.len())),
    };
    let invalid = |why: &str| StsRecordError::Invalid {
        // Escaped at capture already (and neutralized at the output edge): not again.
        record: crate::sanitize::cap(&crate::sanitize::neutralize(record), QUOTE),
        why: why.into(),
    };
    let mut id = None;
    for field in record.split(';').skip(1) {
        let field = field.trim();
        if field.is_empty() {
            continue;
        }
        let (k, v) = field
            .split_once('=')
            .ok_or_else(|| invalid("a field has no '='"))?;
        if k.trim() == "id" {
            let v = v.trim();
            if v.is_empty() || v.len() > 32 || !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(invalid("id must be 1 to 32 letters and digits"));
            }
            id = Some(v.to_string());
        }
    }
    id.map(|id| StsRecord { id })
        .ok_or_else(|| invalid("no id field"))
}

/// The policy's mode (§5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Enforce,
    Testing,
    None,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Testing => "testing",
            Mode::None => "none",
        }
    }
}

/// A parsed policy file (§3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub mode: Mode,
    pub mx: Vec<String>,
    pub max_age: u32,
}

/// Why a policy file is no policy. A sender that follows RFC 8461 treats such a policy as
/// absent (§3.2, §5), so each error names the line that broke it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("line {line} ({text}) breaks the policy grammar: {why} (RFC 8461 §3.2)")]
    Syntax {
        line: usize,
        text: String,
        why: &'static str,
    },
    #[error("line {line}: {key} \"{value}\" is not valid: {expect} (RFC 8461 §3.2)")]
    BadValue {
        line: usize,
        key: &'static str,
        value: String,
        expect: &'static str,
    },
    #[error("the policy has no `version: STSv1` line")]
    NoVersion,
    #[error("the policy has no `mode` line (enforce, testing or none)")]
    NoMode,
    #[error("the policy has no `max_age` line (0 to 31557600 seconds)")]
    NoMaxAge,
    #[error("the policy is in {0} mode but lists no `mx` pattern")]
    NoMx(&'static str),
}

/// The largest `max_age` allowed (§3.2: one year).
const MAX_AGE_LIMIT: u32 = 31_557_600;

/// Longest line quoted in an error.
const QUOTE: usize = 80;

/// Parse a policy file by RFC 8461 §3.2's ABNF, strictly: `name:` at the start of the line,
/// optional spaces or tabs, the value, optional trailing spaces or tabs; lines ended by LF
/// or CRLF, no empty line but an optional last line end. Unknown (extension) fields are
/// ignored, and for a repeated field other than `mx` the first wins. A strict sender (which
/// is what RFC 8461 asks for) treats anything else as no policy, so we do too, and say why.
pub fn parse_policy(body: &str) -> Result<Policy, PolicyError> {
    let (mut version, mut mode, mut max_age) = (None, None, None);
    let mut mx = Vec::new();
    let mut lines: Vec<&str> = body.split('\n').collect();
    // `[sts-policy-term]`: one line end may close the file.
    if lines.len() > 1 && lines.last() == Some(&"") {
        lines.pop();
    }
    for (i, raw) in lines.iter().enumerate() {
        let n = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let syntax = |why: &'static str| PolicyError::Syntax {
            line: n,
            // The body was escaped at capture: neutralize leaves that alone, no second layer.
            text: crate::sanitize::cap(&crate::sanitize::neutralize(line), QUOTE),
            why,
        };
        let (name, value) = field(line).map_err(syntax)?;
        let bad = |key: &'static str, expect: &'static str| PolicyError::BadValue {
            line: n,
            key,
            value: crate::sanitize::cap(&crate::sanitize::neutralize(value), QUOTE),
            expect,
        };
        match name {
            "version" if version.is_none() => {
                if value != "STSv1" {
                    return Err(bad("version", "only STSv1 exists"));
                }
                version = Some(());
            }
            "mode" if mode.is_none() => {
                mode = Some(match value {
                    "enforce" => Mode::Enforce,
                    "testing" => Mode::Testing,
                    "none" => Mode::None,
                    _ => return Err(bad("mode", "enforce, testing or none, in lower case")),
                });
            }
            "max_age" if max_age.is_none() => {
                let n = (1..=10)
                    .contains(&value.len())
                    .then_some(value)
                    .filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|v| v.parse::<u32>().ok())
                    .filter(|n| *n <= MAX_AGE_LIMIT)
                    .ok_or_else(|| bad("max_age", "1 to 10 digits, at most 31557600"))?;
                max_age = Some(n);
            }
            "mx" => {
                if !mx_pattern(value) {
                    return Err(bad("mx", "a host name, or `*.` and a domain"));
                }
                mx.push(value.to_ascii_lowercase());
            }
            // A repeated field after the first, or an extension: ignored (§3.2).
            _ => {}
        }
    }
    version.ok_or(PolicyError::NoVersion)?;
    let mode = mode.ok_or(PolicyError::NoMode)?;
    let max_age = max_age.ok_or(PolicyError::NoMaxAge)?;
    if mx.is_empty() && mode != Mode::None {
        return Err(PolicyError::NoMx(mode.name()));
    }
    Ok(Policy { mode, mx, max_age })
}

/// One line as `sts-policy-field *WSP`: the field's name and its value.
fn field(line: &str) -> Result<(&str, &str), &'static str> {
    if line.is_empty() {
        return Err("an empty line");
    }
    let (name, rest) = line.split_once(':').ok_or("no `:` after a field name")?;
    // sts-policy-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
    let first_ok = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric());
    let rest_ok = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !first_ok || !rest_ok || name.len() > 32 {
        return Err(if name.starts_with([' ', '\t']) {
            "space before the field name"
        } else if name.ends_with([' ', '\t']) {
            "space between the field name and `:`"
        } else {
            "the field name is not a letter or digit followed by up to 31 letters, digits, `_`, `-` or `.`"
        });
    }
    // field-delim = ":" *WSP, and the field is followed by *WSP.
    let value = rest.trim_matches([' ', '\t']);
    if value.is_empty() {
        return Err("no value");
    }
    // sts-policy-vchar and single spaces between them: no control character, no tab inside.
    if value.chars().any(|c| c.is_control()) {
        return Err("a control character or tab in the value");
    }
    Ok((name, value))
}

/// `["*."] Domain` (RFC 5321): labels of letters, digits and inner hyphens, no trailing dot.
fn mx_pattern(v: &str) -> bool {
    let domain = v.strip_prefix("*.").unwrap_or(v);
    !domain.is_empty()
        && domain.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.len() <= 63
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// The first pattern of `policy` that `host` matches.
pub fn matching_pattern<'a>(policy: &'a Policy, host: &str) -> Option<&'a str> {
    policy
        .mx
        .iter()
        .map(String::as_str)
        .find(|p| host_matches(p, host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txt(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn txt_record_from_rfc_8461_section_3_1() {
        let r = parse_record(&txt(&["v=STSv1; id=20160831085700Z;"])).unwrap();
        assert_eq!(r.id, "20160831085700Z");
        // Unrelated TXT records are discarded; spacing is free.
        let r = parse_record(&txt(&["google-site-verification=x", "v=STSv1;id=abc"])).unwrap();
        assert_eq!(r.id, "abc");
    }

    #[test]
    fn txt_records_that_announce_no_policy() {
        assert_eq!(parse_record(&txt(&["spf"])), Err(StsRecordError::Absent));
        assert_eq!(
            parse_record(&txt(&["v=STSv1; id=a", "v=STSv1; id=b"])),
            Err(StsRecordError::Several(2))
        );
        assert!(matches!(
            parse_record(&txt(&["v=STSv1;"])),
            Err(StsRecordError::Invalid { .. })
        ));
        assert!(matches!(
            parse_record(&txt(&["v=STSv1; id=not-alnum!"])),
            Err(StsRecordError::Invalid { .. })
        ));
        // v=STSv10 is not v=STSv1.
        assert_eq!(
            parse_record(&txt(&["v=STSv10; id=a"])),
            Err(StsRecordError::Absent)
        );
    }

    #[test]
    fn policy_file_from_rfc_8461_section_3_2() {
        let body = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n\
                    mx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n";
        let p = parse_policy(body).unwrap();
        assert_eq!(p.mode, Mode::Enforce);
        assert_eq!(
            p.mx,
            ["mail.example.com", "*.example.net", "backupmx.example.com"]
        );
        assert_eq!(p.max_age, 604_800);
        // LF alone and unknown keys are fine.
        let p = parse_policy("version: STSv1\nmode: testing\nmx: a.b\nfoo: bar\nmax_age: 86400\n")
            .unwrap();
        assert_eq!(p.mode, Mode::Testing);
        let p = parse_policy("version: STSv1\nmode: none\nmax_age: 0\n").unwrap();
        assert_eq!(p.mode, Mode::None);
    }

    #[test]
    fn policy_files_that_are_not_policies() {
        let e = |b: &str| parse_policy(b).unwrap_err();
        assert_eq!(
            e("mode: enforce\nmx: a\nmax_age: 1\n"),
            PolicyError::NoVersion
        );
        assert_eq!(
            e("version: STSv1\nmx: a\nmax_age: 1\n"),
            PolicyError::NoMode
        );
        assert_eq!(e("version: STSv1\nmode: none\n"), PolicyError::NoMaxAge);
        assert_eq!(
            e("version: STSv1\nmode: enforce\nmax_age: 1\n"),
            PolicyError::NoMx("enforce")
        );
        assert_eq!(
            e("<html>404</html>").to_string(),
            "line 1 (<html>404</html>) breaks the policy grammar: no `:` after a field name (RFC 8461 §3.2)"
        );
    }

    /// RFC 8461 §3.2's ABNF, line by line: what a strict sender rejects (the policy is then
    /// absent for it) and the line and words we name. Each body is otherwise a valid policy.
    #[test]
    fn strict_grammar_names_the_line_that_breaks_it() {
        let ok = "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n";
        parse_policy(ok).unwrap();
        let cases: &[(&str, &str)] = &[
            (
                "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: +86400\n",
                "line 4: max_age \"+86400\" is not valid: 1 to 10 digits, at most 31557600",
            ),
            (
                "version : STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n",
                "line 1 (version : STSv1) breaks the policy grammar: space between the field name and `:`",
            ),
            (
                "version: STSv1\n mode:enforce\nmx: mx.example.com\nmax_age: 86400\n",
                "line 2 ( mode:enforce) breaks the policy grammar: space before the field name",
            ),
            (
                "version: STSv1\nmode: Enforce\nmx: mx.example.com\nmax_age: 86400\n",
                "line 2: mode \"Enforce\" is not valid: enforce, testing or none, in lower case",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 31557601\n",
                "line 4: max_age \"31557601\" is not valid: 1 to 10 digits, at most 31557600",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 0x10\n",
                "line 4: max_age \"0x10\" is not valid",
            ),
            (
                "version: STSv2\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n",
                "line 1: version \"STSv2\" is not valid: only STSv1 exists",
            ),
            (
                "version: STSv1\n\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n",
                "line 2 () breaks the policy grammar: an empty line",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n\n",
                "line 5 () breaks the policy grammar: an empty line",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age:\n",
                "line 4 (max_age:) breaks the policy grammar: no value",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\nmode\n",
                "line 5 (mode) breaks the policy grammar: no `:` after a field name",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n_x: y\n",
                "line 5 (_x: y) breaks the policy grammar: the field name is not a letter",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\nx: a\tb\n",
                "line 5 (x: a\tb) breaks the policy grammar: a control character or tab",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: mx.example.com.\nmax_age: 86400\n",
                "line 3: mx \"mx.example.com.\" is not valid: a host name, or `*.` and a domain",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: mx.*.com\nmax_age: 86400\n",
                "line 3: mx \"mx.*.com\" is not valid",
            ),
            (
                "version: STSv1\r\nmode: enforce\r\nmx: a b\r\nmax_age: 86400\r\n",
                "line 3: mx \"a b\" is not valid",
            ),
            (
                "version: STSv1\nmode: enforce\rmx: mx.example.com\nmax_age: 86400\n",
                "line 2 (mode: enforce\\x0dmx: mx.example.com) breaks the policy grammar: a control character",
            ),
        ];
        for (body, want) in cases {
            let got = parse_policy(body).map(|_| ()).unwrap_err().to_string();
            assert!(got.starts_with(want), "{body:?}\n got: {got}\nwant: {want}");
        }
    }

    /// engine/policy escapes each TXT record and policy line at capture (ESC is `\e`): an
    /// error quotes that once, neutralizes anything raw, and never doubles the backslash.
    #[test]
    fn text_escaped_at_capture_is_quoted_once() {
        let e = parse_record(&txt(&[r"v=STSv1; id=\e]0;pwned\x07"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"the record "v=STSv1; id=\e]0;pwned\x07" is invalid: id must be 1 to 32 letters and digits"#
        );
        let e = parse_policy("version: STSv1\nmode: \\e]0;x\nmx: a\nmax_age: 1\n").unwrap_err();
        assert!(
            e.to_string().starts_with(r#"line 2: mode "\e]0;x" is not"#),
            "{e}"
        );
        // Raw control bytes (a caller that did not escape) are escaped here, once.
        let e = parse_record(&txt(&["v=STSv1; id=\x1b]0;x"])).unwrap_err();
        assert!(e.to_string().contains(r"id=\e]0;x"), "{e}");
    }

    /// What the grammar allows and a loose reading might refuse.
    #[test]
    fn strict_grammar_still_takes_what_the_abnf_allows() {
        let cases: &[&str] = &[
            // field-delim = ":" *WSP: no space, or a tab, after the colon; *WSP at line end.
            "version:STSv1\nmode:\tenforce\nmx: mx.example.com \t\nmax_age: 86400",
            // No line end after the last line; CRLF.
            "version: STSv1\r\nmode: enforce\r\nmx: *.example.com\r\nmax_age: 0",
            // Extensions (UTF-8 and inner spaces in the value), and a repeated field after the
            // first (ignored, even when its value would be invalid).
            "version: STSv1\nmode: enforce\nmode: bogus\nx-note.1: été à Paris\nmx: a\nmax_age: 9",
        ];
        for body in cases {
            let p = parse_policy(body).unwrap_or_else(|e| panic!("{body:?}: {e}"));
            assert_eq!(p.mode, Mode::Enforce, "{body:?}");
        }
    }

    #[test]
    fn wildcard_matches_exactly_one_leftmost_label() {
        // The matcher itself is `wildcard::host_matches`; here, the policy picks with it.
        let p =
            parse_policy("version: STSv1\nmode: enforce\nmx: a.x\nmx: *.y\nmax_age: 1\n").unwrap();
        assert_eq!(matching_pattern(&p, "mx.y"), Some("*.y"));
        assert_eq!(matching_pattern(&p, "b.x"), None);
    }
}
