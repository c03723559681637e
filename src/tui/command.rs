//! What each `Command` does. Plan changes are pure functions (`apply_edit`: the same plan
//! with one field changed); `execute` updates the view state and returns the `Effect` the
//! loop must carry out (start an attempt, cancel, step, export, quit). Nothing here touches
//! the engine or the terminal, so every command is unit-tested.

use std::net::{IpAddr, SocketAddr};

use super::app::{App, CompareView, EditKind, Editor, Mode, Picker, PickerKind};
use super::derived::Derived;
use super::keymap;
use super::scans;
use crate::diagnose::Retry;
use crate::plan::{Plan, PlanEdit, Sni, TlsMode, TlsVersion};
use crate::profile::kind::{LEGACY_NOTE, ScanKind};
use crate::runs::ScanRequest;
use crate::scan::{ScanPlan, ScanVersion};
use crate::session::Session;

/// What a key that would connect says in a read-only replay, and how to go live.
pub const READ_ONLY: &str = "read-only recording: `tlsdive replay FILE --live` starts new attempts";

pub use super::verbs::{Command, Effect, command_for_retry};

/// The plan with `edit` applied, checked the way the CLI checks its flags (including the
/// names and files the engine's TLS config takes).
pub fn apply_edit(plan: &Plan, edit: &PlanEdit) -> Result<Plan, String> {
    let p = edit.apply(plan).map_err(|e| e.to_string())?;
    crate::engine::tls::check(&p.tls).map_err(|e| e.to_string())?;
    Ok(p)
}

/// The plan change a command asks for, resolved against the plan in view (toggles flip what
/// that plan has).
fn edit_for(cmd: Command) -> Option<fn(&Plan) -> PlanEdit> {
    use Command as C;
    Some(match cmd {
        C::Retry => |_| PlanEdit::Same,
        C::Tls13Only => |_| PlanEdit::Versions(vec![TlsVersion::Tls13]),
        C::Tls12Only => |_| PlanEdit::Versions(vec![TlsVersion::Tls12]),
        C::BothVersions => |_| PlanEdit::Versions(vec![]),
        C::WithoutPq => |_| PlanEdit::WithoutPostQuantum,
        C::DefaultGroups => |_| PlanEdit::Groups(vec![]),
        C::ToggleSniOff => |p| {
            PlanEdit::Sni(match p.tls.sni {
                Sni::Off => Sni::Auto,
                _ => Sni::Off,
            })
        },
        C::ToggleVerify => |p| PlanEdit::Verify(!p.tls.verify),
        C::ToggleImplicit => |p| {
            PlanEdit::Mode(match p.mode {
                TlsMode::Starttls => TlsMode::Implicit,
                TlsMode::Implicit => TlsMode::Starttls,
            })
        },
        C::LongerTimeout => |_| PlanEdit::LongerTimeout,
        _ => return None,
    })
}

/// Carry out `cmd`: update the view state, return what the loop must do. A key that would
/// start many connections asks first (`confirm`): it runs when pressed again or confirmed.
pub fn execute(
    app: &mut App,
    session: &Session,
    derived: &Derived,
    cmd: Command,
    typed: Option<char>,
) -> Option<Effect> {
    use super::confirm::{Answer, answer, asks_first, question};
    if let Some(asked) = app.asking.take() {
        match answer(asked, cmd) {
            Some(Answer::Start(c)) => return execute_now(app, session, derived, c, typed),
            Some(Answer::Drop) => {
                app.leaving.saved.asked = false;
                app.status = "not started".into();
                return None;
            }
            // Another key: the question is gone, and its words with it.
            None => app.status.clear(),
        }
    }
    if !asks_first(cmd) {
        return execute_now(app, session, derived, cmd, typed);
    }
    // Worked out on a copy: only what would really start asks (a refusal or a stop does
    // not), and the question can say how much it would start.
    let mut trial = app.clone();
    let effect = execute_now(&mut trial, session, derived, cmd, typed);
    match question(cmd, &trial, session, effect.as_ref()) {
        Some(words) => {
            // This key answers no quit question: the next quit asks again.
            app.leaving.saved.asked = false;
            app.asking = Some(cmd);
            app.status = words;
            None
        }
        None => {
            *app = trial;
            effect
        }
    }
}

fn execute_now(
    app: &mut App,
    session: &Session,
    derived: &Derived,
    cmd: Command,
    typed: Option<char>,
) -> Option<Effect> {
    use Command as C;
    if let Some(edit) = edit_for(cmd) {
        return retry(app, session, edit);
    }
    let asked = std::mem::take(&mut app.leaving.saved.asked);
    match cmd {
        C::Quit => {
            let (n, lost) = app.unsaved(session);
            if lost && !asked {
                app.leaving.saved.asked = true;
                let (what, them) = match n {
                    0 => ("the latest results are".to_string(), "them"),
                    1 => ("1 attempt is".to_string(), "it"),
                    n => (format!("{n} attempts are"), "them"),
                };
                let verb = app
                    .leaving
                    .to
                    .as_ref()
                    .map_or_else(|| "quits".to_string(), |to| format!("returns to {to}"));
                app.status = format!(
                    "{what} not exported: {} again {verb}, {} exports {them}",
                    keymap::name(Mode::Main, C::Quit),
                    keymap::name(Mode::Main, C::Export)
                );
                return None;
            }
            app.leaving.quit = true;
            return Some(Effect::Quit);
        }
        C::Copy => return copy(app, session, derived),
        C::ToggleMouse => {
            app.options.mouse = !app.options.mouse;
            app.status = if app.options.mouse {
                "mouse on: the wheel scrolls (M lets the terminal select text)".into()
            } else {
                "mouse off: select text with the mouse to copy it (M turns the wheel back on)"
                    .into()
            };
            return Some(Effect::SetMouse(app.options.mouse));
        }
        C::NextCert => {
            let n = app.attempt(session).map_or(0, |a| a.certificates.len());
            app.certs.cert = if n == 0 { 0 } else { (app.certs.cert + 1) % n };
        }
        C::ScrollLeft => app.main.left = app.main.left.saturating_sub(8),
        C::ScrollRight => app.main.left = (app.main.left + 8).min(2000),
        C::Help if app.mode == Mode::Help => app.close(),
        C::Help => {
            app.help.top = 0;
            app.open(Mode::Help);
        }
        C::Back => app.close(),
        C::SuitePicker
        | C::GroupPicker
        | C::AddressPicker
        | C::ScenarioPicker
        | C::LegacySuitePicker => open_picker(app, session, cmd),
        C::EditSni | C::EditEhlo => open_editor(app, session, cmd),
        C::StepMode => {
            app.options.step_mode = !app.options.step_mode;
            app.status = if app.options.step_mode {
                format!(
                    "step mode on: the next attempt pauses before each step ({} continues)",
                    keymap::name(Mode::Main, C::Step)
                )
            } else {
                "step mode off".into()
            };
            return Some(Effect::SetStepMode(app.options.step_mode));
        }
        C::Step if app.options.step_mode => return Some(Effect::Step),
        C::Step => app.status = "step mode is off (n turns it on)".into(),
        C::Repeat | C::RepeatUntilStopped => {
            let now = app.clock;
            return super::runs::toggle_repeat(app, session, cmd == C::RepeatUntilStopped, now);
        }
        C::ViewRepeat => {
            app.mode = if app.mode == Mode::Repeat {
                Mode::Main
            } else {
                Mode::Repeat
            };
        }
        C::Cancel if app.run.as_ref().is_some_and(|r| r.active()) => {
            return super::runs::stop(app, session);
        }
        C::Cancel => {
            if let Some(s) = app.scanning.take() {
                app.status = format!("scan of {} cancelled", s.what);
                return Some(Effect::CancelScan);
            }
            if app.attempt(session).is_some_and(|a| a.is_running()) {
                app.status = "cancelling".into();
                return Some(Effect::Cancel);
            }
            if matches!(app.mode, Mode::Profile | Mode::Repeat) {
                app.close();
            } else {
                app.status = "nothing is running".into();
            }
        }
        C::Scan => {
            let cause = derived.diagnosis.as_ref().map(|d| d.cause);
            return start_scan(app, session, |plan| scans::focused(cause, plan));
        }
        C::ScanFull => return start_scan(app, session, |_| ScanKind::Full),
        C::ScanSenders => return start_scan(app, session, |_| ScanKind::Senders),
        C::Investigate => {
            let now = app.clock;
            return super::runs::investigate(app, session, now);
        }
        C::Sweep => {
            let now = app.clock;
            return super::runs::sweep(app, session, now);
        }
        C::ProbeTls10 | C::ProbeTls11 => {
            let version = if cmd == C::ProbeTls10 {
                ScanVersion::Tls10
            } else {
                ScanVersion::Tls11
            };
            return start_scan(app, session, |_| ScanKind::Legacy {
                version,
                suite: None,
            });
        }
        C::ViewProfile => {
            app.mode = if app.mode == Mode::Profile {
                Mode::Main
            } else {
                Mode::Profile
            };
            app.profile.top = 0;
        }
        C::ViewPolicy => {
            app.mode = if app.mode == Mode::Policy {
                Mode::Main
            } else {
                Mode::Policy
            };
            app.policy.top = 0;
        }
        C::PrevAttempt | C::NextAttempt => step_attempt(app, session, cmd == C::NextAttempt),
        C::ViewCertificates | C::ViewAttempts => {
            let target = if cmd == C::ViewAttempts {
                Mode::Attempts
            } else {
                Mode::Certificates
            };
            app.mode = if app.mode == target {
                Mode::Main
            } else {
                target
            };
            app.certs.top = 0;
            if target == Mode::Attempts {
                app.attempts.cursor = selected_index(app, session);
            }
        }
        C::Export => return Some(Effect::Export),
        C::ToggleFold => app.main.unfold = !app.main.unfold,
        C::Toggle => toggle(app, session),
        C::Defaults => defaults(app),
        C::Confirm => return confirm(app, session),
        C::Edit(edit) => {
            if let Some(e) = app.editor.as_mut() {
                e.apply(edit);
            }
        }
        C::Insert => {
            if let (Some(e), Some(c)) = (app.editor.as_mut(), typed) {
                e.apply(super::app::Edit::Insert(c));
            }
        }
        C::FocusNext => app.main.focus = app.main.focus.next(),
        C::FocusPrev => app.main.focus = app.main.focus.prev(),
        C::Up | C::Down | C::PageUp | C::PageDown | C::Top | C::Bottom => {
            super::scroll::scroll(app, session, derived, cmd)
        }
        _ => {}
    }
    None
}

/// `y`: the diagnosis, or in the certificates view the marked certificate, as text.
fn copy(app: &mut App, session: &Session, derived: &Derived) -> Option<Effect> {
    use super::clipboard;
    if app.mode == Mode::Certificates {
        let a = app.attempt(session)?;
        let Some(c) = a.certificates.get(app.certs.cert) else {
            app.status = "no certificate to copy in this attempt".into();
            return None;
        };
        // The PEM when the attempt kept it (older recordings did not): openssl reads it.
        let (form, text) = if c.pem.starts_with("-----BEGIN CERTIFICATE-----") {
            let lines = c.pem.lines().map(crate::sanitize::escape_str);
            ("as PEM", lines.map(|l| l + "\n").collect())
        } else {
            (
                "its fields (no PEM in this recording)",
                clipboard::cert_text(c),
            )
        };
        return Some(Effect::Copy {
            what: format!("certificate #{} ({}) {form}", app.certs.cert, c.subject),
            text,
        });
    }
    let Some(d) = &derived.diagnosis else {
        app.status = "no diagnosis to copy yet".into();
        return None;
    };
    let scan = derived.scan.as_ref().map_or(&[][..], |s| &s.evidence[..]);
    Some(Effect::Copy {
        what: "the diagnosis".into(),
        text: clipboard::diagnosis_text(d, scan),
    })
}

/// Start a scan for the attempt on screen (finished, with a plan); `kind` picks the part.
fn start_scan(
    app: &mut App,
    session: &Session,
    kind: impl FnOnce(&Plan) -> ScanKind,
) -> Option<Effect> {
    if app.options.read_only {
        app.status = READ_ONLY.into();
        return None;
    }
    if let Some(s) = &app.scanning {
        app.status = format!(
            "a scan of {} is running ({} cancels it)",
            s.what,
            keymap::name(Mode::Main, Command::Cancel)
        );
        return None;
    }
    let Some(a) = app.attempt(session) else {
        app.status = "no attempt yet".into();
        return None;
    };
    if a.is_running() {
        app.status = format!(
            "wait for the attempt to finish ({} cancels it), then scan",
            keymap::name(Mode::Main, Command::Cancel)
        );
        return None;
    }
    let Some(plan) = a.plan.as_ref() else {
        app.status = "this attempt has no plan to scan with".into();
        return None;
    };
    let kind = kind(plan);
    let job = ScanRequest {
        attempt: a.id,
        at_us: a.last_us,
        plan: ScanPlan::new(plan.clone()),
        kind,
        senders: Vec::new(),
    };
    let what = job.kind.label();
    app.status = if job.kind.is_legacy() {
        format!(
            "{what}: {LEGACY_NOTE} ({} cancels)",
            keymap::name(Mode::Main, Command::Cancel)
        )
    } else {
        format!(
            "scanning {what} of {} ({} cancels)",
            plan.target.display_name(),
            keymap::name(Mode::Main, Command::Cancel)
        )
    };
    app.scanning = Some(super::app::Scanning {
        scan: None,
        attempt: a.id,
        what,
    });
    Some(Effect::Scan(Box::new(job)))
}

/// Start a new attempt: the current attempt's plan with `edit`.
fn retry(app: &mut App, session: &Session, edit: impl FnOnce(&Plan) -> PlanEdit) -> Option<Effect> {
    if app.options.read_only {
        app.status = READ_ONLY.into();
        return None;
    }
    let Some(plan) = app.attempt(session).and_then(|a| a.plan.as_ref()) else {
        app.status = "no plan yet: wait for the first attempt to start".into();
        return None;
    };
    match apply_edit(plan, &edit(plan)) {
        Ok(p) => {
            let first = session.attempts.first().and_then(|a| a.plan.as_ref());
            app.status = format!(
                "new attempt: {}",
                super::render::header::plan_line(&p, first)
            );
            app.show_attempt(None);
            app.mode = Mode::Main;
            app.picker = None;
            app.editor = None;
            Some(Effect::Start(Box::new(p)))
        }
        Err(e) => {
            app.status = e;
            None
        }
    }
}

fn selected_index(app: &App, session: &Session) -> usize {
    app.attempt(session)
        .and_then(|a| session.attempts.iter().position(|b| b.id == a.id))
        .unwrap_or(0)
}

fn step_attempt(app: &mut App, session: &Session, forward: bool) {
    let n = session.attempts.len();
    if n == 0 {
        return;
    }
    let i = selected_index(app, session);
    let j = if forward {
        (i + 1).min(n - 1)
    } else {
        i.saturating_sub(1)
    };
    // Stepping onto the latest attempt follows new ones again.
    let id = (j + 1 < n).then(|| session.attempts[j].id);
    if id != app.selected || j + 1 == n {
        app.show_attempt(id);
    }
    app.status = format!("attempt {} of {n}", j + 1);
}

fn toggle(app: &mut App, session: &Session) {
    if let Some(p) = app.picker.as_mut() {
        if let Some(item) = p.items.get_mut(p.cursor) {
            item.checked = !item.checked;
        }
        return;
    }
    if app.mode == Mode::Attempts {
        let Some(a) = session.attempts.get(app.attempts.cursor) else {
            return;
        };
        if let Some(i) = app.attempts.marked.iter().position(|m| *m == a.id) {
            app.attempts.marked.remove(i);
        } else {
            app.attempts.marked.push(a.id);
            if app.attempts.marked.len() > 2 {
                app.attempts.marked.remove(0);
            }
        }
    }
}

/// Check every item of a suite or group picker: what the plan offers by default.
fn defaults(app: &mut App) {
    let Some(p) = app.picker.as_mut().filter(|p| p.multi) else {
        app.status = "this list has no defaults to go back to".into();
        return;
    };
    for item in &mut p.items {
        item.checked = true;
    }
    let what = if p.kind == PickerKind::Suites {
        "suites"
    } else {
        "groups"
    };
    app.status = format!(
        "every item checked: the default {what} ({} retries with them)",
        keymap::name(Mode::Picker, Command::Confirm)
    );
}

fn confirm(app: &mut App, session: &Session) -> Option<Effect> {
    match app.mode {
        Mode::Attempts => {
            if let [a, b] = app.attempts.marked[..] {
                app.compare = CompareView {
                    pair: Some((a.min(b), a.max(b))),
                    top: 0,
                };
                app.mode = Mode::Compare;
            } else if let Some(a) = session.attempts.get(app.attempts.cursor) {
                let latest = session.attempts.len() == app.attempts.cursor + 1;
                app.show_attempt((!latest).then_some(a.id));
                app.mode = Mode::Main;
            }
            None
        }
        Mode::Edit => {
            let e = app.editor.take()?;
            app.close();
            let edit = match e.kind {
                EditKind::Sni if e.text.trim().is_empty() => PlanEdit::Sni(Sni::Auto),
                EditKind::Sni => PlanEdit::Sni(Sni::Name(e.text)),
                EditKind::Ehlo => PlanEdit::Ehlo(e.text),
            };
            retry(app, session, |_| edit)
        }
        Mode::Picker => {
            let p = app.picker.take()?;
            app.close();
            picked(app, session, p)
        }
        _ => None,
    }
}

fn picked(app: &mut App, session: &Session, p: Picker) -> Option<Effect> {
    let at_cursor = p.items.get(p.cursor).map(|i| i.values.clone());
    match p.kind {
        PickerKind::Suites | PickerKind::Groups => {
            let all = p.items.iter().all(|i| i.checked);
            let chosen: Vec<String> = p
                .items
                .iter()
                .filter(|i| i.checked)
                .flat_map(|i| i.values.iter().cloned())
                .collect();
            if chosen.is_empty() {
                app.status = format!(
                    "nothing checked: check at least one ({})",
                    keymap::name(Mode::Picker, Command::Toggle)
                );
                return None;
            }
            let list = if all { vec![] } else { chosen };
            let edit = if p.kind == PickerKind::Suites {
                PlanEdit::Suites(list)
            } else {
                PlanEdit::Groups(list)
            };
            retry(app, session, |_| edit)
        }
        PickerKind::Address => {
            let v = at_cursor?;
            let port = app.attempt(session).and_then(|a| a.plan.as_ref())?.port;
            let pin = v
                .first()
                .and_then(|ip| ip.parse::<IpAddr>().ok())
                .map(|ip| (SocketAddr::new(ip, port), v.get(1).cloned()));
            retry(app, session, |_| PlanEdit::Pin(pin))
        }
        PickerKind::LegacySuite => {
            let suite = at_cursor?.into_iter().next()?;
            start_scan(app, session, |_| ScanKind::Legacy {
                version: ScanVersion::Tls12,
                suite: Some(suite),
            })
        }
        PickerKind::Scenario => {
            let name = at_cursor?.into_iter().next()?;
            app.show_attempt(None);
            app.status = format!("lab scenario {name}");
            Some(Effect::Scenario(name))
        }
    }
}

fn open_editor(app: &mut App, session: &Session, cmd: Command) {
    if app.options.read_only {
        app.status = READ_ONLY.into();
        return;
    }
    let attempt = app.attempt(session);
    let plan = attempt.and_then(|a| a.plan.as_ref());
    let (kind, text) = if cmd == Command::EditEhlo {
        (
            EditKind::Ehlo,
            plan.map(|p| p.ehlo.clone()).unwrap_or_default(),
        )
    } else {
        let suggested = attempt.and_then(|a| {
            crate::diagnose::diagnose(a)
                .next_steps
                .into_iter()
                .find_map(|s| match s.retry {
                    Some(Retry::Sni(n)) => Some(n),
                    _ => None,
                })
        });
        let text = match plan.map(|p| &p.tls.sni) {
            Some(Sni::Name(n)) => n.clone(),
            _ => suggested.unwrap_or_default(),
        };
        (EditKind::Sni, text)
    };
    app.editor = Some(Editor::new(kind, text));
    app.open(Mode::Edit);
}

fn open_picker(app: &mut App, session: &Session, cmd: Command) {
    if cmd == Command::ScenarioPicker && !app.options.demo {
        app.status = "lab scenarios are for `tlsdive demo`".into();
        return;
    }
    if cmd != Command::ScenarioPicker && app.options.read_only {
        app.status = READ_ONLY.into();
        return;
    }
    let plan = app.attempt(session).and_then(|a| a.plan.as_ref());
    let picker = match cmd {
        Command::SuitePicker => super::pickers::suites(plan),
        Command::GroupPicker => super::pickers::groups(plan),
        Command::LegacySuitePicker => super::pickers::legacy_suites(),
        Command::AddressPicker => match app.attempt(session) {
            Some(a) => super::pickers::addresses(a),
            None => {
                app.status = "no attempt yet".into();
                return;
            }
        },
        _ => super::pickers::scenarios(app.attempt(session).and_then(|a| app.scenario_of(a))),
    };
    app.picker = Some(picker);
    app.open(Mode::Picker);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Target;

    fn base() -> Plan {
        let mut p = Plan::new(Target::Domain("example.net".into()));
        p.ehlo = "probe.example.org".into();
        p
    }

    /// Each plan key changes what it names and nothing else; toggles flip the plan in view.
    #[test]
    fn each_plan_key_changes_one_field() {
        let b = base();
        let key = |p: &Plan, c: Command| apply_edit(p, &edit_for(c).unwrap()(p)).unwrap();
        assert_eq!(key(&b, Command::Retry), b);
        assert_eq!(
            key(&b, Command::Tls12Only).tls.versions,
            vec![TlsVersion::Tls12]
        );
        assert_eq!(
            key(&b, Command::Tls13Only).tls.versions,
            vec![TlsVersion::Tls13]
        );
        let only12 = key(&b, Command::Tls12Only);
        assert!(key(&only12, Command::BothVersions).tls.versions.is_empty());
        let unverified = key(&b, Command::ToggleVerify);
        assert!(!unverified.tls.verify);
        assert!(key(&unverified, Command::ToggleVerify).tls.verify);
        let off = key(&b, Command::ToggleSniOff);
        assert_eq!(off.tls.sni, Sni::Off);
        assert_eq!(key(&off, Command::ToggleSniOff).tls.sni, Sni::Auto);
        let i = key(&b, Command::ToggleImplicit);
        assert_eq!((i.mode, i.port), (TlsMode::Implicit, 465));
        let s = key(&i, Command::ToggleImplicit);
        assert_eq!((s.mode, s.port), (TlsMode::Starttls, 25));
        assert_eq!(
            key(&b, Command::LongerTimeout).timeouts.reply,
            b.timeouts.reply * 4
        );
        let classic = key(&b, Command::WithoutPq);
        assert!(classic.tls.groups.iter().all(|g| !g.contains("MLKEM")));
        assert!(key(&classic, Command::DefaultGroups).tls.groups.is_empty());
        assert!(edit_for(Command::Scan).is_none());
        let addr: SocketAddr = "[2001:db8::25]:25".parse().unwrap();
        let pinned = apply_edit(
            &b,
            &PlanEdit::Pin(Some((addr, Some("mx1.example.net".into())))),
        )
        .unwrap();
        assert_eq!(
            (pinned.address, pinned.address_host.as_deref()),
            (Some(addr), Some("mx1.example.net"))
        );
        let unpinned = apply_edit(&pinned, &PlanEdit::Pin(None)).unwrap();
        assert_eq!((unpinned.address, unpinned.address_host), (None, None));
        // Only the touched field differs.
        let mut v = key(&b, Command::Tls12Only);
        v.tls.versions = b.tls.versions.clone();
        assert_eq!(v, b);
    }

    #[test]
    fn bad_input_is_refused_with_words() {
        let b = base();
        let err = |e: PlanEdit| apply_edit(&b, &e).unwrap_err();
        assert!(err(PlanEdit::Sni(Sni::Name("192.0.2.1".into()))).contains("not a host name"));
        assert!(err(PlanEdit::Sni(Sni::Name("a..b".into()))).contains("not a host name"));
        assert!(err(PlanEdit::Ehlo("".into())).contains("is empty"));
        assert!(err(PlanEdit::Ehlo("has space".into())).contains("not an EHLO argument"));
        assert!(err(PlanEdit::Ehlo("x\r\nMAIL FROM:<a@b>".into())).contains("control character"));
        assert!(err(PlanEdit::Groups(vec!["ffdhe2048".into()])).contains("unknown group"));
        // `2` then a TLS 1.3-only suite selection: refused with the reason, never run.
        let only12 = apply_edit(&b, &PlanEdit::Versions(vec![TlsVersion::Tls12])).unwrap();
        let e = apply_edit(
            &only12,
            &PlanEdit::Suites(vec!["TLS13_AES_256_GCM_SHA384".into()]),
        )
        .unwrap_err();
        assert!(
            e.contains("no chosen cipher suite works with TLSv1.2"),
            "{e}"
        );
    }

    #[test]
    fn every_bindable_retry_has_a_key() {
        use crate::tui::app::Mode;
        use crate::tui::keymap::key_for;
        let p = base();
        for r in [
            Retry::Same,
            Retry::Tls12Only,
            Retry::Tls13Only,
            Retry::BothVersions,
            Retry::WithoutPostQuantum,
            Retry::DefaultGroups,
            Retry::NoVerify,
            Retry::Sni("mx.example.net".into()),
            Retry::ImplicitTls,
            Retry::LongerTimeout,
            Retry::EditEhlo,
            Retry::Scan,
        ] {
            let c = command_for_retry(&r, Some(&p)).unwrap();
            assert!(key_for(Mode::Main, c).is_some(), "{r:?}");
        }
        assert_eq!(
            command_for_retry(&Retry::Scan, Some(&p)),
            Some(Command::Scan)
        );
    }
}
