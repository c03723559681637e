//! How much of a list or a value from DNS or a recording a report shows: text and the TUI
//! show [`ROWS`] rows and values of [`VALUE`] characters, JSON carries more ([`JSON_ROWS`],
//! [`JSON_VALUE`]) and says what it left out. A hostile zone (thousands of MX hosts, a 64 KB
//! TLSA record) then makes a long report, never an endless one.

use std::borrow::Cow;

/// Rows of one list in the text report and the TUI.
pub const ROWS: usize = 20;
/// Characters of one value in the text report and the TUI.
pub const VALUE: usize = 200;
/// Rows of one list in JSON.
pub const JSON_ROWS: usize = 200;
/// Characters of one value in JSON.
pub const JSON_VALUE: usize = 4096;

/// `s` cut to `max` characters, saying how many more there were.
pub fn value(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((end, _)) => {
            let more = s[end..].chars().count();
            Cow::Owned(format!(
                "{}… ({} more characters)",
                &s[..end],
                crate::units::thousands(more as u64)
            ))
        }
    }
}

/// The line after the first rows of a longer list: "… and 2,816 more".
pub fn more(total: usize, shown: usize) -> Option<String> {
    (total > shown).then(|| {
        format!(
            "… and {} more",
            crate::units::thousands((total - shown) as u64)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_lists_say_what_they_leave_out() {
        assert_eq!(value("abcdef", 6), "abcdef");
        assert_eq!(value("abcdefgh", 6), "abcdef… (2 more characters)");
        assert_eq!(value("ééé", 1), "é… (2 more characters)");
        assert_eq!(more(2821, 5).as_deref(), Some("… and 2,816 more"));
        assert_eq!(more(5, 5), None);
    }
}
