//! `tlsdive lab`: start the lab's servers on loopback and say what each one does wrong.

use std::process::ExitCode;

use tlsdive::cli::LabArgs;

pub async fn run(_args: LabArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the lab lands with the lab branch")
}
