//! `tlsdive triage` on a terminal: the live table, fed by the runner over a channel, and
//! Enter opening a destination (or a report group's MX) in the interactive view (the same
//! plan options); quitting that view comes back to the table, which kept receiving results
//! meanwhile and takes over what the view found there.

use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use tokio::sync::mpsc::UnboundedReceiver;

use super::keymap::Key;
use super::render::triage as draw;
use super::terminal;
use super::triage_table::{Action, Msg, Table};
use crate::plan::Plan;
use crate::session::Session;

/// `triage --tlsrpt`'s feed of the table: each group announced (`Group`), each policy
/// domain swept and its groups judged (`Probing`, `Finding`), then `Judged`; `failed` gets
/// each domain whose sweep could not start (its name and why).
pub async fn judge_groups_into(
    plans: Vec<Plan>,
    per_domain: &[Vec<crate::tlsrpt::Group>],
    send: impl Fn(Msg),
    failed: impl FnMut(&str, &'static str),
) {
    use super::triage_table::group_key;
    for g in per_domain.iter().flatten() {
        send(Msg::Group {
            key: group_key(g),
            group: Box::new(g.clone()),
        });
    }
    crate::cli::drive::triage::judge_groups(
        plans,
        per_domain,
        |g| {
            send(Msg::Update(crate::triage::run::Update::Probing {
                key: group_key(g),
            }))
        },
        |g, f| {
            send(Msg::Finding {
                key: group_key(g),
                finding: Box::new(f),
            })
        },
        failed,
    )
    .await;
    send(Msg::Judged);
}

/// How the table ended: its final state, and the signal that ended it, if one did.
pub struct Ended {
    pub table: Table,
    pub signal: Option<i32>,
}

/// Show the table until the user quits (`q`) or a signal arrives. `template` is the plan
/// every destination's probe starts from; the interactive view uses it too.
pub async fn run(rx: UnboundedReceiver<Msg>, template: Plan) -> anyhow::Result<Ended> {
    let table = Table::new(super::theme::Theme::color_from_env());
    run_table(rx, template, table).await
}

/// [`run`] with `table` to start from (`triage --tlsrpt`'s, for report groups).
pub async fn run_table(
    mut rx: UnboundedReceiver<Msg>,
    template: Plan,
    mut table: Table,
) -> anyhow::Result<Ended> {
    let mut signals = terminal::Signals::new()?;
    loop {
        let open = {
            let mut guard = terminal::init()?;
            let mut events = EventStream::new();
            loop {
                let size = guard.terminal.size()?;
                table.page = draw::page_rows(size.into());
                guard.terminal.draw(|f| draw::render(f, &table, f.area()))?;
                tokio::select! {
                    ev = events.next() => match ev {
                        Some(Ok(Event::Key(k))) => {
                            match Key::from_event(&k).and_then(|k| table.key(k)) {
                                Some(Action::Quit) => return Ok(Ended { table, signal: None }),
                                Some(Action::Open(d)) => break *d,
                                None => {}
                            }
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Err(e.into()),
                        None => return Ok(Ended { table, signal: None }),
                    },
                    Some(msg) = rx.recv() => {
                        table.apply(msg);
                        // Take what else is waiting before drawing again.
                        while let Ok(m) = rx.try_recv() {
                            table.apply(m);
                        }
                    },
                    n = signals.recv() => return Ok(Ended { table, signal: Some(n) }),
                }
            }
            // The guard restores the terminal here; the interactive view takes it over.
        };
        let opened = open.plan(&template);
        let ended = super::run(super::Options {
            plan: Some(opened.clone()),
            session: Session::new(),
            read_only: false,
            demo: None,
            record_on_exit: false,
            repeat: None,
            quit_to: Some("the triage table".into()),
        })
        .await?;
        if ended.signal.is_some() {
            return Ok(Ended {
                table,
                signal: ended.signal,
            });
        }
        let label = table.label(&open.key);
        table.status = format!(
            "back from {} ({} in the interactive view)",
            crate::sanitize::neutralize(&label),
            crate::report::units::plural(ended.session.attempts.len() as u64, "attempt")
        );
        // What the investigation or repeat there found becomes the row's verdict.
        table.back_from(&open.key, &ended.session, &opened);
    }
}
