//! Files the user named. Reading (a CA bundle, a client certificate or key, a recording) has a
//! size cap, so `/dev/zero` or a mistaken 2 GB file is a clear usage error instead of a process
//! that eats memory. Writing (`--record`, `--pcap`, `--keylog`, SSLKEYLOGFILE) goes through one
//! opener, used before any connection, that never follows a link into another file.

pub mod lines;

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
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

/// How an output file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Replaced (created or truncated): a recording, a pcapng.
    Replace,
    /// Appended to: a key log, shared with other programs.
    Append,
}

/// Why an output file cannot be written: a usage error, named before any connection (or, for
/// a full device, at the first write).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OutputError {
    #[error("cannot write {what} {path}: {detail}")]
    Open {
        what: &'static str,
        path: PathBuf,
        detail: String,
    },
    #[error(
        "cannot write {what} {path}: it is a symbolic link (to {target}); tlsdive does not write through a link into a file that may be another's: name the file itself"
    )]
    Link {
        what: &'static str,
        path: PathBuf,
        target: PathBuf,
    },
    #[error("cannot write {what} {path}: {detail}")]
    Write {
        what: &'static str,
        path: PathBuf,
        detail: String,
    },
}

impl OutputError {
    /// A failed write to an output file, in the same words.
    pub fn write(what: &'static str, path: &Path, e: &std::io::Error) -> OutputError {
        OutputError::Write {
            what,
            path: path.to_path_buf(),
            detail: io_words(e),
        }
    }
}

/// Open the output file `what` (`--record`, ...) at `path`, for `how`; `secret` files (key
/// logs, a pcapng with its secrets) are created readable by the owner only.
///
/// The last component is opened with O_NOFOLLOW: a symbolic link left at that name (say in
/// /tmp, by another user) cannot make us truncate or fill the file it points to. A link to
/// something that is not a regular file (`/dev/stdout`, a pipe, `/dev/null`) is followed: it
/// is opened without creating or truncating anything, and refused if it turns out to be a
/// regular file after all.
pub fn open_output(
    what: &'static str,
    path: &Path,
    how: Output,
    secret: bool,
) -> Result<File, OutputError> {
    let open_err = |e: &std::io::Error| OutputError::Open {
        what,
        path: path.to_path_buf(),
        detail: output_words(path, e),
    };
    let mut opts = std::fs::OpenOptions::new();
    match how {
        Output::Replace => opts.write(true).truncate(true),
        Output::Append => opts.append(true),
    };
    opts.create(true)
        .mode(if secret { 0o600 } else { 0o666 })
        .custom_flags(libc::O_NOFOLLOW);
    match opts.open(path) {
        Ok(f) => return Ok(f),
        Err(e) if e.raw_os_error() != Some(libc::ELOOP) => return Err(open_err(&e)),
        Err(_) => {}
    }
    // The name is a symbolic link. Open what it points to without creating or truncating,
    // then look at what was opened (not at the name, which may change meanwhile).
    let link = || OutputError::Link {
        what,
        path: path.to_path_buf(),
        target: std::fs::read_link(path).unwrap_or_default(),
    };
    let f = match std::fs::OpenOptions::new().append(true).open(path) {
        Ok(f) => f,
        // A link to nothing: never created through.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(link()),
        Err(e) => return Err(open_err(&e)),
    };
    let kind = f.metadata().map_err(|e| open_err(&e))?.file_type();
    if kind.is_file() || kind.is_dir() {
        return Err(link());
    }
    debug_assert!(kind.is_char_device() || kind.is_fifo() || kind.is_socket());
    Ok(f)
}

/// The words for a failed open of an output file.
fn output_words(path: &Path, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => match path.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(dir) => format!("the directory {} does not exist", dir.display()),
            None => "no such file".into(),
        },
        std::io::ErrorKind::IsADirectory => "it is a directory: name a file".into(),
        _ => io_words(e),
    }
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
        std::io::ErrorKind::StorageFull => "no space left on the device".into(),
        std::io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only".into(),
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

    mod output {
        use super::super::*;
        use std::io::Write;

        fn err(path: &Path) -> String {
            open_output("--pcap", path, Output::Replace, false)
                .unwrap_err()
                .to_string()
        }

        #[test]
        fn a_directory_is_named() {
            let dir = tempfile::tempdir().unwrap();
            let e = err(dir.path());
            assert!(e.ends_with(": it is a directory: name a file"), "{e}");
        }

        #[test]
        fn a_missing_directory_is_named() {
            let dir = tempfile::tempdir().unwrap();
            let e = err(&dir.path().join("no/such/x.pcapng"));
            assert!(e.contains("/no/such does not exist"), "{e}");
        }

        /// A link planted at the name (the /tmp attack) is refused and its target untouched,
        /// for replacing and for appending alike.
        #[test]
        fn a_link_to_another_file_is_refused_and_the_file_kept() {
            let dir = tempfile::tempdir().unwrap();
            let victim = dir.path().join("victim");
            std::fs::write(&victim, "precious").unwrap();
            let link = dir.path().join("out.pcapng");
            std::os::unix::fs::symlink(&victim, &link).unwrap();
            let e = err(&link);
            assert!(e.contains("is a symbolic link (to "), "{e}");
            let e = open_output("--keylog", &link, Output::Append, true).unwrap_err();
            assert!(matches!(e, OutputError::Link { .. }), "{e}");
            assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
            // A dangling link is not created through either.
            let dangling = dir.path().join("dangling");
            std::os::unix::fs::symlink(dir.path().join("new"), &dangling).unwrap();
            let e = open_output("--record", &dangling, Output::Replace, false).unwrap_err();
            assert!(matches!(e, OutputError::Link { .. }), "{e}");
            assert!(!dir.path().join("new").exists());
        }

        /// A link to a device or a pipe (`/dev/stdout` is one) is what the user meant.
        #[test]
        fn a_link_to_a_device_is_followed() {
            let dir = tempfile::tempdir().unwrap();
            let link = dir.path().join("null");
            std::os::unix::fs::symlink("/dev/null", &link).unwrap();
            let mut f = open_output("--pcap", &link, Output::Replace, false).unwrap();
            f.write_all(b"x").unwrap();
        }

        /// A regular file is replaced (or appended to); a secret one is the owner's only.
        #[test]
        fn files_are_replaced_or_appended() {
            use std::os::unix::fs::PermissionsExt;
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("keys.log");
            std::fs::write(&p, "old\n").unwrap();
            let mut f = open_output("--keylog", &p, Output::Append, true).unwrap();
            f.write_all(b"new\n").unwrap();
            assert_eq!(std::fs::read_to_string(&p).unwrap(), "old\nnew\n");
            let mut f = open_output("--record", &p, Output::Replace, false).unwrap();
            f.write_all(b"x").unwrap();
            assert_eq!(std::fs::read_to_string(&p).unwrap(), "x");
            let q = dir.path().join("fresh.log");
            open_output("--keylog", &q, Output::Append, true).unwrap();
            let mode = std::fs::metadata(&q).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }

        /// /dev/full opens (nothing tells before writing) and its first write is named.
        #[test]
        fn a_full_device_is_named_at_the_first_write() {
            let p = Path::new("/dev/full");
            let mut f = open_output("--record", p, Output::Replace, false).unwrap();
            let e = f.write_all(b"x").unwrap_err();
            assert_eq!(
                OutputError::write("--record", p, &e).to_string(),
                "cannot write --record /dev/full: no space left on the device"
            );
        }
    }
}
