//! `--shard I/N`: keep the destinations whose stable hash falls in shard I of N, so N
//! machines under any job runner split one list with no coordination. The hash is FNV-1a
//! (64-bit) of the destination key: the same on every machine, build and Rust version.

use std::str::FromStr;

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Whether the destination `key` belongs to this shard.
    pub fn contains(&self, key: &str) -> bool {
        fnv1a(key.as_bytes()) % u64::from(self.count) == u64::from(self.index - 1)
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("{s:?} is not a shard: use I/N with 1 <= I <= N, e.g. 2/8");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_everything_once() {
        let keys: Vec<String> = (0..2000)
            .map(|i| format!("[192.0.2.{}]:{}", i % 250, 25 + i / 250))
            .collect();
        for count in [1, 2, 3, 8] {
            let mut seen = std::collections::HashMap::new();
            for index in 1..=count {
                let s = Shard { index, count };
                for k in keys.iter().filter(|k| s.contains(k)) {
                    assert!(seen.insert(k.clone(), index).is_none(), "{k} in two shards");
                }
            }
            assert_eq!(seen.len(), keys.len(), "union of {count} shards");
        }
    }

    #[test]
    fn hash_is_stable() {
        // Fixed values: a change would move destinations between machines mid-rollout.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn parse() {
        assert_eq!("2/8".parse(), Ok(Shard { index: 2, count: 8 }));
        for bad in ["0/8", "9/8", "1/0", "x", "1/", "/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
