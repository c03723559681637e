//! Reading a file the user named (a CA bundle, a client certificate or key, a recording) with a
//! size cap, so `/dev/zero` or a mistaken 2 GB file is a clear usage error instead of a process
//! that eats memory, and with error words a person can act on.

pub mod lines;

use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest PEM file we read: real CA bundles are about 200 KB.
pub const MAX_PEM_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileError {
    #[error("cannot read {what} {path}: {detail}")]
    Read {
        what: &'static str,
        path: PathBuf,
        detail: String,
    },
    #[error("cannot read {what} {path}: larger than {limit} (is it the right file?)")]
    TooLarge {
        what: &'static str,
        path: PathBuf,
        limit: String,
    },
}

/// Read at most `max` bytes of `path`; more is an error, never a silent cut.
pub fn read_capped(what: &'static str, path: &Path, max: u64) -> Result<Vec<u8>, FileError> {
    let read_err = |e: std::io::Error| FileError::Read {
        what,
        path: path.to_path_buf(),
        detail: io_words(&e),
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > max {
        return Err(FileError::TooLarge {
            what,
            path: path.to_path_buf(),
            limit: size_words(max),
        });
    }
    Ok(bytes)
}

/// The words for an I/O error on a file the user named.
pub fn io_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "it is a directory".into(),
        _ => e.to_string(),
    }
}

fn size_words(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{} MiB", n / (1024 * 1024))
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endless_input_is_cut_and_named() {
        let e = read_capped("--ca-file", Path::new("/dev/zero"), 1024).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot read --ca-file /dev/zero: larger than 1024 bytes (is it the right file?)"
        );
    }

    #[test]
    fn missing_and_directory_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_capped("--key", &dir.path().join("nope.pem"), 10).unwrap_err();
        assert!(e.to_string().ends_with(": no such file"), "{e}");
        let e = read_capped("--key", dir.path(), 10).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
    }

    #[test]
    fn small_files_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a");
        std::fs::write(&p, b"0123456789").unwrap();
        assert_eq!(read_capped("x", &p, 10).unwrap(), b"0123456789");
        assert!(read_capped("x", &p, 9).is_err());
    }
}
