//! The interactive front end: one `tokio::select!` loop over the terminal's events, the
//! engine's events and a slow tick, redrawing only when something changed.
//!
//! The TUI never touches a socket. Keys become `Command`s through the one table in
//! `keymap`; `command::execute` changes view state and returns an `Effect` (start an
//! attempt, cancel, step, export); the loop carries effects out on the `EngineHandle`, whose
//! `ProbeEvent`s are folded into the `Session` — the same model a replayed recording builds,
//! so live and replay render alike. `Ui` is that core without the terminal, for tests.
//! Scans run the same way: the handle runs one, its `ScanProgressed` events feed the status
//! line and its result arrives as a `ScanFinished` event for the attempt that asked.

pub mod app;
pub mod clipboard;
pub mod command;
pub mod confirm;
pub mod demo;
pub mod derived;
pub mod export;
pub mod keymap;
pub mod pickers;
pub mod render;
pub mod repeat;
pub mod runs;
pub mod scans;
pub mod scroll;
pub mod terminal;
pub mod theme;
pub mod triage_live;
pub mod triage_table;
pub mod verbs;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream, MouseEventKind};
use futures_util::StreamExt;
use ratatui::Frame;

use crate::engine::EngineHandle;
use crate::event::{EventKind, ProbeEvent};
use crate::plan::Plan;
use crate::session::Session;
use app::{App, Mode};
use command::{Command, Effect};
use derived::Derived;
use keymap::Key;

/// How the TUI starts.
pub struct Options {
    /// The first attempt to run (none for a replay).
    pub plan: Option<Plan>,
    /// Attempts already known (a recording).
    pub session: Session,
    pub read_only: bool,
    pub demo: Option<demo::Demo>,
    /// `--record FILE`: the session is written on exit, so quitting loses nothing.
    pub record_on_exit: bool,
    /// `--repeat N --interval D`: `R` repeats N times, D apart, and the first plan starts
    /// repeating at once.
    pub repeat: Option<(u32, Duration)>,
    /// Where quitting leads when it does not end tlsdive ("the triage table"): the words
    /// the quit prompt uses.
    pub quit_to: Option<String>,
}

/// Session, view state and derived rows: everything the screen shows, without a terminal.
pub struct Ui {
    pub session: Session,
    pub app: App,
    pub derived: Derived,
}

impl Ui {
    /// The session it starts with is already stored (a recording, or nothing yet): only
    /// what is added to it could be lost by quitting.
    pub fn new(session: Session, app: App) -> Ui {
        let mut ui = Ui {
            session,
            app,
            derived: Derived::new(),
        };
        ui.app.mark_saved(&ui.session);
        ui.sync();
        ui
    }

    /// Fold an engine event into the session; the end of the scan we asked for also ends
    /// the status line's progress bar.
    pub fn apply(&mut self, ev: &ProbeEvent) {
        self.session.apply(ev);
        let ours = |scan: &u32| {
            self.app
                .scanning
                .as_ref()
                .is_some_and(|s| s.attempt == ev.attempt && s.scan == Some(*scan))
        };
        match &ev.kind {
            EventKind::ScanFinished {
                scan,
                kind,
                profile,
            } if ours(scan) => {
                self.app.scanning = None;
                let end = match &profile.stopped {
                    Some(why) => format!("stopped: {why}"),
                    None => {
                        crate::report::units::plural(u64::from(profile.connections), "connection")
                    }
                };
                self.app.status = format!(
                    "scan of {} done ({end}): {} shows the profile",
                    kind.label(),
                    keymap::name(Mode::Main, Command::ViewProfile)
                );
            }
            EventKind::ScanCancelled { scan } if ours(scan) => self.app.scanning = None,
            _ => {}
        }
    }

    /// After engine events or at the run's wake time: what the active run starts now
    /// (`app.clock` is the time).
    pub fn run_tick(&mut self) -> Option<Effect> {
        self.app.run.as_ref()?;
        self.sync();
        let now = self.app.clock;
        let effect = runs::tick(&mut self.app, &self.session, now);
        self.sync();
        effect
    }

    /// When the active run wants to be asked again (the loop's clock), if it does.
    pub fn run_wake(&self) -> Option<Duration> {
        self.app.run_wake.filter(|_| !self.app.run_over)
    }

    /// The engine took the run's order `key` as attempt (or scan) `id`.
    pub fn run_started(&mut self, key: u32, id: u32) {
        runs::started(&mut self.app, key, id);
    }

    /// The engine took the scan we asked for under number `scan`.
    pub fn scan_started(&mut self, scan: u32) {
        if let Some(s) = self.app.scanning.as_mut() {
            s.scan = Some(scan);
        }
    }

    /// Bring derived rows up to date (call before drawing).
    pub fn sync(&mut self) {
        self.derived.sync(&self.app, &self.session);
    }

    /// Run the command bound to `key` in the current mode.
    pub fn key(&mut self, key: Key) -> Option<Effect> {
        let cmd = keymap::lookup(self.app.mode, key)?;
        let typed = match key {
            Key::Char(c) => Some(c),
            Key::Space => Some(' '),
            _ => None,
        };
        self.command(cmd, typed)
    }

    pub fn command(&mut self, cmd: Command, typed: Option<char>) -> Option<Effect> {
        self.sync();
        let effect = command::execute(&mut self.app, &self.session, &self.derived, cmd, typed);
        // An attempt started by hand cancels the run's: a repeat or a sweep stops.
        if matches!(effect, Some(Effect::Start(_) | Effect::Scenario(_))) {
            runs::replaced(&mut self.app);
        }
        self.sync();
        effect
    }

    /// The wheel over a panel of the main view focuses that panel, then scrolls it.
    pub fn wheel_at(&mut self, up: bool, column: u16, row: u16) {
        if self.app.mode == Mode::Main {
            let rows = render::header::height(self.app.attempt(&self.session));
            let a = render::areas_with(self.app.layout.area, rows);
            let at = ratatui::layout::Position::new(column, row);
            let focus = if a.transcript.contains(at) {
                Some(app::Focus::Transcript)
            } else if a.timeline.contains(at) || a.detail.contains(at) {
                Some(app::Focus::Timeline)
            } else if a.diagnosis.contains(at) {
                Some(app::Focus::Diagnosis)
            } else {
                None
            };
            if let Some(f) = focus {
                self.app.main.focus = f;
            }
        }
        self.wheel(up);
    }

    /// The mouse wheel scrolls the focused panel or list, three rows a notch.
    pub fn wheel(&mut self, up: bool) {
        let cmd = if up { Command::Up } else { Command::Down };
        if matches!(self.app.mode, Mode::Edit) {
            return;
        }
        for _ in 0..3 {
            self.command(cmd, None);
        }
    }

    /// Draw the screen, and remember how far each panel can scroll.
    pub fn draw(&mut self, f: &mut Frame) {
        let extents = render::render(
            f,
            &render::View::new(&self.session, &self.app, &self.derived),
        );
        self.app.layout.extents = extents;
    }

    /// Carry out `x`: write the session into `dir`, say where, and count it as saved.
    pub fn export_to(&mut self, dir: &std::path::Path, now: std::time::SystemTime) {
        self.export_with_keys(dir, now, None);
    }

    /// [`Ui::export_to`], plus the attempt in view as a pcapng, with `key_log` (its TLS
    /// secrets, which only the engine holds) in a Decryption Secrets Block, and its
    /// certificate chain as sent, in PEM.
    pub fn export_with_keys(
        &mut self,
        dir: &std::path::Path,
        now: std::time::SystemTime,
        key_log: Option<String>,
    ) {
        self.app.status = match export::write_new(dir, &self.session, now) {
            Ok(mut paths) => {
                self.app.mark_saved(&self.session);
                let mut extra = String::new();
                let attempt = self.app.attempt(&self.session);
                if let (Some(a), Some(first)) = (attempt, paths.first().cloned()) {
                    match export::pcap(&first, a, key_log.as_deref()) {
                        Ok(p) => paths.push(p),
                        Err(e) => extra = format!(" (no pcapng: {e})"),
                    }
                    match export::chain(&first, a) {
                        Ok(Some(p)) => paths.push(p),
                        Ok(None) => {}
                        Err(e) => extra.push_str(&format!(" (no PEM chain: {e})")),
                    }
                }
                format!("exported: {}{extra}", export::where_written(dir, &paths))
            }
            Err(e) => format!(
                "export failed: cannot write into {}: {e} (set {} to another folder)",
                crate::sanitize::neutralize(&dir.display().to_string()),
                export::DIR_VARIABLE
            ),
        };
    }
}

/// How the TUI ended: the session it showed, and the signal that ended it, if one did.
pub struct Ended {
    pub session: Session,
    pub signal: Option<i32>,
}

impl Ended {
    /// The conventional exit status: 0 after `q`, 128 + N after signal N.
    pub fn exit_code(&self) -> std::process::ExitCode {
        match self.signal {
            None => std::process::ExitCode::SUCCESS,
            Some(n) => std::process::ExitCode::from(u8::try_from(128 + n).unwrap_or(255)),
        }
    }
}

/// Run the TUI until the user quits or a signal arrives.
pub async fn run(opts: Options) -> anyhow::Result<Ended> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut engine = EngineHandle::new(tx);
    engine.continue_after(
        opts.session
            .attempts
            .iter()
            .map(|a| a.id)
            .max()
            .unwrap_or(0),
    );
    let mut app = App::new();
    app.options.read_only = opts.read_only;
    if let Some(d) = &opts.demo {
        app.start_demo(d.scenarios());
    }
    app.leaving.saved.on_exit = opts.record_on_exit;
    app.leaving.to = opts.quit_to.clone();
    app.color = theme::Theme::color_from_env();
    if let Some((n, interval)) = opts.repeat {
        app.options.repeat_count = n;
        app.options.repeat_interval = interval;
    }
    let mut ui = Ui::new(opts.session, app);
    // The runs' clock.
    let epoch = Instant::now();
    if let Some(plan) = opts.plan {
        if opts.repeat.is_some() {
            let (n, interval) = (ui.app.options.repeat_count, ui.app.options.repeat_interval);
            let run =
                crate::runs::Run::Repeat(crate::runs::repeat::Repeat::new(plan, Some(n), interval));
            if let Some(Effect::Run(orders)) =
                runs::begin(&mut ui.app, &ui.session, run, Duration::ZERO)
            {
                ui.app.mode = Mode::Repeat;
                carry_out(&mut engine, &mut ui, orders);
            }
        } else {
            engine.start(plan);
        }
    }
    let mut signals = terminal::Signals::new()?;
    let mut guard = terminal::init()?;
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // When each attempt started by our clock, for the running indicator.
    let mut clocks: HashMap<u32, Instant> = HashMap::new();
    let mut dirty = true;
    let mut signal = None;
    loop {
        ui.app.clock = epoch.elapsed();
        if dirty {
            if let Some(a) = ui.app.attempt(&ui.session) {
                ui.app.now_us = match (a.is_running(), clocks.get(&a.id)) {
                    (true, Some(t)) => t.elapsed().as_micros() as u64,
                    _ => 0,
                };
            }
            let size = guard.terminal.size()?;
            let header_rows = render::header::height(ui.app.attempt(&ui.session));
            ui.app.layout.page = render::page_rows_with(size.into(), header_rows);
            ui.app.layout.area = size.into();
            ui.sync();
            guard.terminal.draw(|f| ui.draw(f))?;
        }
        // When the run wants to be asked again (a repeat's interval).
        let due = ui.run_wake().map(|w| epoch + w);
        // Every branch below decides whether the screen changed.
        let effect = tokio::select! {
            _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now).into()), if due.is_some() => {
                dirty = true;
                ui.app.clock = epoch.elapsed();
                ui.run_tick()
            },
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    dirty = true;
                    terminal_event(&mut ui, ev)
                }
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            Some(ev) = rx.recv() => {
                let mut next = Some(ev);
                while let Some(ev) = next {
                    if matches!(ev.kind, EventKind::AttemptStarted { .. }) {
                        let since = Duration::from_micros(ev.at_us);
                        clocks.insert(ev.attempt, Instant::now().checked_sub(since).unwrap_or_else(Instant::now));
                    }
                    ui.apply(&ev);
                    next = rx.try_recv().ok();
                }
                dirty = true;
                ui.app.clock = epoch.elapsed();
                ui.run_tick()
            },
            _ = tick.tick() => {
                dirty = ui.app.attempt(&ui.session).is_some_and(|a| a.is_running());
                None
            },
            n = signals.recv() => {
                signal = Some(n);
                break;
            }
        };
        match effect {
            None => {}
            Some(Effect::Quit) => break,
            Some(Effect::Start(plan)) => {
                engine.start(*plan);
            }
            Some(Effect::Run(orders)) => carry_out(&mut engine, &mut ui, orders),
            Some(Effect::Cancel) => engine.cancel(),
            Some(Effect::Step) => engine.step(),
            Some(Effect::SetStepMode(on)) => engine.set_step_mode(on),
            Some(Effect::Export) => {
                let dir = export::dir();
                let keys = ui
                    .app
                    .attempt(&ui.session)
                    .and_then(|a| engine.key_log(a.id));
                ui.export_with_keys(&dir, std::time::SystemTime::now(), keys);
            }
            Some(Effect::Copy { what, text }) => {
                ui.app.status = match terminal::copy(&text) {
                    Ok(()) => format!(
                        "copied {what} to the clipboard ({} lines, by OSC 52: the terminal must allow it)",
                        text.lines().count()
                    ),
                    Err(e) => format!("copy failed: {e}"),
                };
            }
            Some(Effect::SetMouse(on)) => {
                if let Err(e) = terminal::set_mouse(on) {
                    ui.app.status = format!("cannot change mouse capture: {e}");
                }
            }
            Some(Effect::Scan(req)) => {
                let scan = engine.scan(*req);
                ui.scan_started(scan);
            }
            Some(Effect::CancelScan) => engine.cancel_scan(),
            Some(Effect::Scenario(name)) => match opts.demo.as_ref().and_then(|d| d.plan(&name)) {
                Some(plan) => {
                    engine.start(plan);
                }
                None => ui.app.status = format!("no lab scenario {name}"),
            },
        }
    }
    engine.cancel_all();
    drop(guard);
    Ok(Ended {
        session: ui.session,
        signal,
    })
}

/// Start what the run asked for and tell it the ids (several attempts run side by side).
pub fn carry_out(engine: &mut EngineHandle, ui: &mut Ui, orders: Vec<crate::runs::Order>) {
    for order in orders {
        let id = match order.job {
            crate::runs::Job::Attempt(plan) => engine.launch(*plan),
            crate::runs::Job::Scan(req) => {
                let scan = engine.scan(*req);
                ui.scan_started(scan);
                scan
            }
        };
        ui.run_started(order.key, id);
    }
}

fn terminal_event(ui: &mut Ui, ev: Event) -> Option<Effect> {
    match ev {
        Event::Key(k) => Key::from_event(&k).and_then(|key| ui.key(key)),
        Event::Mouse(m) => {
            match m.kind {
                MouseEventKind::ScrollUp => ui.wheel_at(true, m.column, m.row),
                MouseEventKind::ScrollDown => ui.wheel_at(false, m.column, m.row),
                _ => {}
            }
            None
        }
        _ => None,
    }
}
