//! Figures in words a person reads at a glance: durations ("412 ms", "20.1 s") and counts
//! with the right plural ("1 connection"). One place, so the text report and the TUI agree.

use std::time::Duration;

/// A duration, precise where precision matters: "0.8 ms" under 10 ms, "412 ms" under a
/// second, "20.1 s" under a minute, then "3 min 20 s" and "2 h 5 min".
pub fn human_duration(d: Duration) -> String {
    human_micros(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// `human_duration` of a number of microseconds (the unit of every event's `at_us`).
pub fn human_micros(us: u64) -> String {
    let tenth_ms = us.saturating_add(50) / 100;
    if tenth_ms < 100 {
        return format!("{}.{} ms", tenth_ms / 10, tenth_ms % 10);
    }
    let ms = us.saturating_add(500) / 1000;
    if ms < 1000 {
        return format!("{ms} ms");
    }
    let tenth_s = us.saturating_add(50_000) / 100_000;
    if tenth_s < 600 {
        return format!("{}.{} s", tenth_s / 10, tenth_s % 10);
    }
    let s = us.saturating_add(500_000) / 1_000_000;
    if s < 3600 {
        return format!("{} min {} s", s / 60, s % 60);
    }
    let min = s.saturating_add(30) / 60;
    format!("{} h {} min", min / 60, min % 60)
}

/// "1 connection", "2 connections": `word` is the singular, the plural adds an "s".
pub fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `1204` → `1,204`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_at_a_glance() {
        for (us, shown) in [
            (0, "0.0 ms"),
            (800, "0.8 ms"),
            (9_949, "9.9 ms"),
            (9_960, "10 ms"),
            (412_300, "412 ms"),
            (999_400, "999 ms"),
            (999_600, "1.0 s"),
            (20_054_000, "20.1 s"),
            (59_940_000, "59.9 s"),
            (59_960_000, "1 min 0 s"),
            (200_000_000, "3 min 20 s"),
            (7_500_000_000, "2 h 5 min"),
        ] {
            assert_eq!(human_micros(us), shown, "{us} µs");
        }
        assert_eq!(human_duration(Duration::from_millis(20_054)), "20.1 s");
        assert!(human_duration(Duration::MAX).ends_with(" min"));
    }

    #[test]
    fn plural_counts() {
        assert_eq!(plural(1, "connection"), "1 connection");
        assert_eq!(plural(0, "row"), "0 rows");
        assert_eq!(plural(12, "connection"), "12 connections");
    }
}
