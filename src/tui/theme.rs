//! Colours and emphasis. With `NO_COLOR` set (https://no-color.org) every style keeps only
//! its modifiers (bold, reverse), so the screen stays readable without colour.

use ratatui::style::{Color, Modifier, Style};

use crate::wire::Dir;

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn new(color: bool) -> Theme {
        Theme { color }
    }

    /// True unless `NO_COLOR` is set to a non-empty value.
    pub fn color_from_env() -> bool {
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    }

    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn plain(self) -> Style {
        Style::new()
    }
    pub fn dim(self) -> Style {
        self.fg(Color::DarkGray)
    }
    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    pub fn key(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn good(self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::BOLD)
    }
    pub fn bad(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn running(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    pub fn border(self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            self.dim()
        }
    }
    pub fn tls(self) -> Style {
        self.fg(Color::Magenta)
    }
    pub fn client(self) -> Style {
        self.fg(Color::Cyan)
    }
    /// Server lines by reply class: 2xx/3xx fine, 4xx transient, 5xx permanent.
    pub fn reply(self, line: &str) -> Style {
        match line.as_bytes().first() {
            Some(b'2') | Some(b'3') => self.fg(Color::Green),
            Some(b'4') => self.fg(Color::Yellow),
            Some(b'5') => self.fg(Color::Red),
            _ => self.fg(Color::LightRed),
        }
    }
    pub fn dir(self, d: Dir) -> Style {
        match d {
            Dir::Client => self.client(),
            Dir::Server => self.fg(Color::Green),
        }
    }
}
