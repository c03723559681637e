//! A bounds-checked cursor over untrusted bytes, in the shape of rustls' `codec::Reader`.
//!
//! Every accessor returns `Option`: running past the end yields `None`, never a panic, so the
//! decoders above can turn a short read into a `Malformed` reason with `ok_or`. The slices
//! handed out borrow the input, so decoding a hello allocates only for the names it returns.

/// A cursor over a byte slice. Reads consume from the front.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    cursor: usize,
}

impl<'a> Reader<'a> {
    /// A reader positioned at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, cursor: 0 }
    }

    /// The next `n` bytes, or `None` (consuming nothing) when fewer are left.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.cursor.checked_add(n)?;
        let out = self.buf.get(self.cursor..end)?;
        self.cursor = end;
        Some(out)
    }

    /// A reader over the next `n` bytes, which are consumed from this one.
    pub fn sub(&mut self, n: usize) -> Option<Reader<'a>> {
        self.take(n).map(Reader::new)
    }

    /// A reader over a vector with a one-byte length prefix (`opaque x<0..2^8-1>`).
    pub fn sub_u8(&mut self) -> Option<Reader<'a>> {
        let mut probe = self.clone();
        let len = probe.u8()?;
        let out = probe.sub(usize::from(len))?;
        *self = probe;
        Some(out)
    }

    /// A reader over a vector with a two-byte length prefix (`opaque x<0..2^16-1>`).
    pub fn sub_u16(&mut self) -> Option<Reader<'a>> {
        let mut probe = self.clone();
        let len = probe.u16()?;
        let out = probe.sub(usize::from(len))?;
        *self = probe;
        Some(out)
    }

    /// A reader over a vector with a three-byte length prefix (`opaque x<0..2^24-1>`).
    pub fn sub_u24(&mut self) -> Option<Reader<'a>> {
        let mut probe = self.clone();
        let len = probe.u24()?;
        let out = probe.sub(usize::try_from(len).ok()?)?;
        *self = probe;
        Some(out)
    }

    pub fn u8(&mut self) -> Option<u8> {
        let [b] = *self.take(1)? else { return None };
        Some(b)
    }

    pub fn u16(&mut self) -> Option<u16> {
        let [a, b] = *self.take(2)? else { return None };
        Some(u16::from_be_bytes([a, b]))
    }

    pub fn u24(&mut self) -> Option<u32> {
        let [a, b, c] = *self.take(3)? else {
            return None;
        };
        Some(u32::from_be_bytes([0, a, b, c]))
    }

    /// Everything not yet read; the reader is empty afterwards.
    pub fn rest(&mut self) -> &'a [u8] {
        let out = self.buf.get(self.cursor..).unwrap_or_default();
        self.cursor = self.buf.len();
        out
    }

    /// How many bytes are left.
    pub fn left(&self) -> usize {
        self.buf.len().saturating_sub(self.cursor)
    }

    pub fn any_left(&self) -> bool {
        self.left() > 0
    }

    /// How many bytes have been read so far.
    pub fn used(&self) -> usize {
        self.cursor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (input, expected u8, u16 after it, u24 after that)
    type IntCase = (&'static [u8], Option<u8>, Option<u16>, Option<u32>);
    /// (input, prefix width, expected body, bytes left after)
    type VecCase = (&'static [u8], u8, Option<&'static [u8]>, usize);

    #[test]
    fn integers_and_short_reads() {
        let cases: &[IntCase] = &[
            (&[], None, None, None),
            (&[1], Some(1), None, None),
            (&[1, 2], Some(1), None, None),
            (&[1, 2, 3], Some(1), Some(0x0203), None),
            (&[1, 2, 3, 4, 5], Some(1), Some(0x0203), None),
            (&[1, 2, 3, 4, 5, 6], Some(1), Some(0x0203), Some(0x040506)),
        ];
        for (input, a, b, c) in cases {
            let mut r = Reader::new(input);
            assert_eq!(r.u8(), *a, "{input:?}");
            assert_eq!(r.u16(), *b, "{input:?}");
            assert_eq!(r.u24(), *c, "{input:?}");
        }
    }

    #[test]
    fn take_sub_rest_left() {
        let mut r = Reader::new(&[9, 8, 7, 6, 5]);
        assert_eq!(r.left(), 5);
        assert_eq!(r.take(6), None);
        assert_eq!(r.left(), 5, "a failed take consumes nothing");
        assert_eq!(r.take(2), Some(&[9u8, 8][..]));
        let mut s = r.sub(2).expect("two bytes left");
        assert_eq!(s.rest(), &[7, 6]);
        assert!(!s.any_left());
        assert_eq!(r.used(), 4);
        assert_eq!(r.rest(), &[5]);
        assert_eq!(r.rest(), &[] as &[u8]);
        assert_eq!(r.take(usize::MAX), None);
        assert_eq!(r.take(0), Some(&[] as &[u8]));
    }

    #[test]
    fn length_prefixed_vectors() {
        let cases: &[VecCase] = &[
            (&[2, 0xa, 0xb, 0xc], 1, Some(&[0xa, 0xb]), 1),
            (&[3, 0xa, 0xb], 1, None, 3),
            (&[0, 2, 1, 2], 2, Some(&[1, 2]), 0),
            (&[0, 3, 1, 2], 2, None, 4),
            (&[0], 2, None, 1),
            (&[0, 0, 1, 7, 8], 3, Some(&[7]), 1),
            (&[0xff, 0xff, 0xff, 7], 3, None, 4),
        ];
        for (input, width, body, left) in cases {
            let mut r = Reader::new(input);
            let got = match width {
                1 => r.sub_u8(),
                2 => r.sub_u16(),
                _ => r.sub_u24(),
            };
            assert_eq!(got.map(|mut s| s.rest()), *body, "{input:?}");
            assert_eq!(r.left(), *left, "{input:?}");
        }
    }
}
