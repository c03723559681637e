//! What is generated from the clap definition rather than written by hand: the man page, the
//! shell completion scripts and the long `--version` text naming the TLS stack. Packaging
//! (`.ci/deb`) and users (`tlsdive completions zsh`) get them from the binary itself.

use std::io::Write;
use std::sync::LazyLock;

use clap::CommandFactory;

use super::Cli;

/// `tlsdive --version`: the TLS stack matters when comparing with openssl or GnuTLS.
pub fn long_version() -> &'static str {
    static TEXT: LazyLock<String> = LazyLock::new(|| {
        let aws_lc = String::from_utf8_lossy(aws_lc_sys::AWSLC_VERSION_NUMBER_STRING)
            .trim_end_matches('\0')
            .to_string();
        format!(
            "{}\nTLS: rustls {} on aws-lc-rs {} (AWS-LC {aws_lc})",
            env!("CARGO_PKG_VERSION"),
            env!("TLSDIVE_RUSTLS_VERSION"),
            env!("TLSDIVE_AWS_LC_RS_VERSION"),
        )
    });
    TEXT.as_str()
}

/// The man pages: tlsdive(1), which lists every command, and one page per command
/// (tlsdive-probe(1), ...), written into `dir`; returns the files written.
pub fn man_pages(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(Cli::command(), dir)?;
    let mut written: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "1"))
        .collect();
    written.sort();
    Ok(written)
}

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, out: &mut impl Write) {
    clap_complete::generate(shell, &mut Cli::command(), "tlsdive", out);
}
