//! In-process SMTP servers on loopback, each with one known fault (the lab).
