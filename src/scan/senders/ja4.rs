//! The JA4 fingerprint of a ClientHello (FoxIO's JA4, `t13d1516h2_8daaf6152771_e5627efa2ab1`
//! shape): `a_b_c` with `a` = transport `t`, the highest offered version, `d`/`i` for SNI
//! present or not, the suite and extension counts and ALPN's first and last characters;
//! `b` = the first 12 hex digits of SHA-256 over the sorted suites; `c` = the same over the
//! sorted extensions without SNI and ALPN, then `_` and the signature algorithms in wire
//! order. GREASE values (RFC 8701) are left out everywhere.
//!
//! [`Fields`] is a plain split of a ClientHello's bytes, also used by tests that compare a
//! profile's hello with a capture of the real library's.

use aws_lc_rs::digest;

/// A ClientHello's fields as numbers, in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fields {
    pub legacy_version: u16,
    pub session_id_len: usize,
    pub suites: Vec<u16>,
    /// (type, body) per extension.
    pub extensions: Vec<(u16, Vec<u8>)>,
}

impl Fields {
    /// Splits a ClientHello handshake message (4-byte header included).
    pub fn parse(msg: &[u8]) -> Result<Fields, String> {
        let mut r = Cursor(msg);
        if r.u8()? != 1 {
            return Err("not a ClientHello".into());
        }
        r.take(3)?;
        let legacy_version = r.u16()?;
        r.take(32)?;
        let sid = r.u8()?;
        r.take(usize::from(sid))?;
        let n = r.u16()?;
        let suites = r.take(usize::from(n))?;
        let suites = suites
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        let c = r.u8()?;
        r.take(usize::from(c))?;
        let mut extensions = Vec::new();
        if !r.0.is_empty() {
            let n = r.u16()?;
            let mut e = Cursor(r.take(usize::from(n))?);
            while !e.0.is_empty() {
                let typ = e.u16()?;
                let len = e.u16()?;
                extensions.push((typ, e.take(usize::from(len))?.to_vec()));
            }
        }
        Ok(Fields {
            legacy_version,
            session_id_len: usize::from(sid),
            suites,
            extensions,
        })
    }

    /// The body of extension `typ`, if present.
    pub fn extension(&self, typ: u16) -> Option<&[u8]> {
        self.extensions
            .iter()
            .find(|(t, _)| *t == typ)
            .map(|(_, d)| d.as_slice())
    }

    /// Extension types in wire order.
    pub fn extension_types(&self) -> Vec<u16> {
        self.extensions.iter().map(|(t, _)| *t).collect()
    }

    /// A u16 list inside an extension with a `len_bytes`-byte length prefix.
    pub fn u16_list(&self, typ: u16, len_bytes: usize) -> Vec<u16> {
        self.extension(typ)
            .and_then(|d| d.get(len_bytes..))
            .map(|d| {
                d.chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The groups of the key_share extension, in wire order.
    pub fn key_share_groups(&self) -> Vec<u16> {
        let Some(mut r) = self.extension(51).and_then(|d| d.get(2..)).map(Cursor) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        while let (Ok(g), Ok(n)) = (r.u16(), r.u16()) {
            if r.take(usize::from(n)).is_err() {
                break;
            }
            out.push(g);
        }
        out
    }
}

/// GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa.
fn grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

/// The JA4 fingerprint of a ClientHello handshake message.
pub fn ja4(msg: &[u8]) -> Result<String, String> {
    let f = Fields::parse(msg)?;
    let versions: Vec<u16> = f
        .u16_list(43, 1)
        .into_iter()
        .filter(|v| !grease(*v))
        .collect();
    let top = versions.into_iter().max().unwrap_or(f.legacy_version);
    let version = match top {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        _ => "00",
    };
    let sni = if f.extension(0).is_some() { 'd' } else { 'i' };
    let suites: Vec<u16> = f.suites.iter().copied().filter(|s| !grease(*s)).collect();
    let exts: Vec<u16> = f
        .extension_types()
        .into_iter()
        .filter(|e| !grease(*e))
        .collect();
    let alpn = f
        .extension(16)
        .and_then(|d| {
            let len = usize::from(*d.get(2)?);
            d.get(3..3 + len)
        })
        .filter(|a| !a.is_empty())
        .map(|a| {
            let (first, last) = (a[0], a[a.len() - 1]);
            if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
                format!("{}{}", char::from(first), char::from(last))
            } else {
                let hex = format!("{first:02x}{last:02x}");
                format!("{}{}", &hex[..1], &hex[3..])
            }
        })
        .unwrap_or_else(|| "00".into());
    let a = format!(
        "t{version}{sni}{:02}{:02}{alpn}",
        suites.len().min(99),
        exts.len().min(99)
    );
    let mut sorted_suites = suites.clone();
    sorted_suites.sort_unstable();
    let b = hash12(&hex_list(&sorted_suites));
    let mut sorted_exts: Vec<u16> = exts.into_iter().filter(|e| *e != 0 && *e != 16).collect();
    sorted_exts.sort_unstable();
    let sigs = f.u16_list(13, 2);
    let mut c_input = hex_list(&sorted_exts);
    if !sigs.is_empty() {
        c_input.push('_');
        c_input.push_str(&hex_list(&sigs));
    }
    let c = if sorted_exts.is_empty() {
        "000000000000".to_owned()
    } else {
        hash12(&c_input)
    };
    Ok(format!("{a}_{b}_{c}"))
}

fn hex_list(values: &[u16]) -> String {
    values
        .iter()
        .map(|v| format!("{v:04x}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn hash12(input: &str) -> String {
    if input.is_empty() {
        return "000000000000".into();
    }
    let d = digest::digest(&digest::SHA256, input.as_bytes());
    d.as_ref()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("ClientHello truncated".into());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_values() {
        assert!(grease(0x0a0a) && grease(0xfafa) && grease(0x3a3a));
        assert!(!grease(0x0a1a) && !grease(0x1301) && !grease(0x001d));
    }

    /// The worked example of the JA4 specification (FoxIO, "JA4: TLS Client Fingerprint",
    /// technical details): its cipher and extension lists give its `b` and `c` hashes.
    #[test]
    fn spec_example_hashes() {
        let b = "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9";
        assert_eq!(hash12(b), "8daaf6152771");
        let c = "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601";
        assert_eq!(hash12(c), "e5627efa2ab1");
    }

    #[test]
    fn malformed_hellos_are_errors_not_panics() {
        assert!(ja4(&[]).is_err());
        assert!(ja4(&[1, 0, 0, 1]).is_err());
        assert!(ja4(&[2, 0, 0, 0]).is_err());
    }
}
