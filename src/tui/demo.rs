//! `tlsdive demo`: every lab scenario served in-process on loopback with a fresh PKI, and the
//! plan a newcomer would type for each scenario (trusting the lab CA, carried in the plan).

use std::sync::Arc;

use crate::lab::{self, LabError, LabServer, Pki};
use crate::plan::Plan;

pub struct Demo {
    servers: Vec<LabServer>,
    /// The lab CA, PEM.
    pub ca_pem: String,
}

impl Demo {
    /// Start every scenario on 127.0.0.1.
    pub async fn start() -> Result<Demo, LabError> {
        let pki = Arc::new(Pki::generate()?);
        let servers = lab::serve_all(&pki, None).await?;
        Ok(Demo {
            servers,
            ca_pem: pki.ca_pem(),
        })
    }

    /// Each server's address with the scenario it runs (the header names the one on screen).
    pub fn scenarios(&self) -> Vec<(std::net::SocketAddr, lab::Scenario)> {
        self.servers.iter().map(|s| (s.addr, s.scenario)).collect()
    }

    /// The plan for the scenario called `name`, aimed at its server.
    pub fn plan(&self, name: &str) -> Option<Plan> {
        let s = self.servers.iter().find(|s| s.scenario.name() == name)?;
        Some(lab::plan_for(s.scenario, s.addr, &self.ca_pem))
    }
}
