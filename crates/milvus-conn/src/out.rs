//! Colour (only when asked or on a terminal without `NO_COLOR`) and the aligned table.

use std::io::{self, Write};

use clap::builder::styling::{AnsiColor, Style};
use conn_config::SourceKind;

/// Styles text for one stream, or leaves it plain.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Painter {
    enabled: bool,
}

impl Painter {
    /// A painter that colours when `enabled`.
    pub(crate) fn new(enabled: bool) -> Painter {
        Painter { enabled }
    }

    /// `text` in `style`, or plain.
    pub(crate) fn paint(self, style: Style, text: &str) -> String {
        if self.enabled && style != Style::new() {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }

    /// Red and bold, for `error`.
    pub(crate) fn error(self, text: &str) -> String {
        self.paint(AnsiColor::Red.on_default().bold(), text)
    }
}

/// The style of an origin: arguments green, stored yellow-ish, environment cyan, `.env`
/// yellow, defaults dimmed.
pub(crate) fn origin_style(kind: SourceKind) -> Style {
    match kind {
        SourceKind::Explicit => AnsiColor::Green.on_default(),
        SourceKind::Stored => AnsiColor::Magenta.on_default(),
        SourceKind::Env => AnsiColor::Cyan.on_default(),
        SourceKind::DotEnv => AnsiColor::Yellow.on_default(),
        SourceKind::Default => Style::new().dimmed(),
        _ => Style::new(),
    }
}

/// One table cell: its text and its style.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cell {
    text: String,
    style: Style,
}

impl Cell {
    /// A plain cell.
    pub(crate) fn plain(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            style: Style::new(),
        }
    }

    /// A styled cell.
    pub(crate) fn styled(text: impl Into<String>, style: Style) -> Cell {
        Cell {
            text: text.into(),
            style,
        }
    }
}

/// Writes rows as left-aligned columns two spaces apart, the header bold, with no trailing
/// spaces.
pub(crate) fn write_table(
    w: &mut impl Write,
    p: Painter,
    header: &[&str],
    rows: &[Vec<Cell>],
) -> io::Result<()> {
    let columns = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns) {
            widths[i] = widths[i].max(cell.text.chars().count());
        }
    }
    let bold = Style::new().bold();
    let header: Vec<Cell> = header.iter().map(|h| Cell::styled(*h, bold)).collect();
    for row in std::iter::once(&header).chain(rows) {
        let last = row.iter().rposition(|c| !c.text.is_empty()).unwrap_or(0);
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate().take(last + 1) {
            line.push_str(&p.paint(cell.style, &cell.text));
            if i < last {
                let pad = widths[i] - cell.text.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(w, "{line}")?;
    }
    Ok(())
}
