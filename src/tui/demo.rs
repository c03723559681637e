//! `tlsdive demo`: every lab scenario served in-process on loopback with a fresh PKI, the
//! lab CA in a temporary file, and the plan a newcomer would type for each scenario.

use std::path::PathBuf;
use std::sync::Arc;

use crate::lab::{self, LabError, LabServer, Pki};
use crate::plan::Plan;

pub struct Demo {
    servers: Vec<LabServer>,
    pub ca: PathBuf,
}

impl Demo {
    /// Start every scenario on 127.0.0.1 and write the CA where the plans can read it.
    pub async fn start() -> Result<Demo, LabError> {
        let pki = Arc::new(Pki::generate()?);
        let ca = std::env::temp_dir().join(format!("tlsdive-demo-{}-ca.pem", std::process::id()));
        std::fs::write(&ca, pki.ca_pem())?;
        let servers = lab::serve_all(&pki, None).await?;
        Ok(Demo { servers, ca })
    }

    /// Each server's address with the scenario it runs (the header names the one on screen).
    pub fn scenarios(&self) -> Vec<(std::net::SocketAddr, lab::Scenario)> {
        self.servers.iter().map(|s| (s.addr, s.scenario)).collect()
    }

    /// The plan for the scenario called `name`, aimed at its server.
    pub fn plan(&self, name: &str) -> Option<Plan> {
        let s = self.servers.iter().find(|s| s.scenario.name() == name)?;
        Some(lab::plan_for(s.scenario, s.addr, &self.ca))
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca);
    }
}
